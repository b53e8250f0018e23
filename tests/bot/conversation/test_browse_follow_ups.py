"""A follow-up under a list just browsed: a new limit refines the same search ("ok what about under £20"),
a kind of thing named with it is a new search ("what about boots under £100"), in every language."""

from __future__ import annotations

from bot.kernel.shop import Shop
from tests.bot.conversation.chat import SMS, Chat


async def test_a_new_limit_alone_refines_the_same_search(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    await chat.say("any jackets under £60?", "check_stock")
    said = await chat.say("ok what about under £100 then", "check_stock")
    assert "under £100" in said and "Ullswater Softshell Jacket" in said and "Boot" not in said


async def test_a_kind_named_with_a_new_limit_is_a_new_search(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    await chat.say("any jackets under £60?", "check_stock")
    said = await chat.say("what about boots under £100", "check_stock")
    assert "under £100" in said and "Boot" in said and "Jacket" not in said


async def test_the_same_in_finnish_with_max(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop, SMS, "sms")
    first = await chat.say("takki alle 100 puntaa?", "check_stock")
    assert chat.state.language == "fi" and "Jacket" in first
    said = await chat.say("entä kengät max 80 puntaa", "check_stock")
    assert "Boot" in said and "Jacket" not in said and "Mikä?" not in said


async def test_a_quality_named_with_a_new_limit_still_refines(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    await chat.say("any jackets under £60?", "check_stock")
    said = await chat.say("what about waterproof ones under £160", "check_stock")
    assert "Helvellyn Waterproof Jacket" in said and "Boot" not in said
