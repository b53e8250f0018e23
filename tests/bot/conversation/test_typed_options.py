"""A typed "2" or an option's title picks that option, on every channel, whether or not a question waits:
the connectors pass the words through unchanged and the engine reads them against what it last offered."""

from __future__ import annotations

from bot.kernel.shop import Shop
from tests.bot.conversation.chat import SMS, Chat


async def test_a_number_after_the_help_buttons_picks_that_button(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop, SMS, channel="sms")
    said = await chat.say("what is the capital of peru", "out_of_scope", 0.95)
    assert "Opening hours" in said  # the help buttons, numbered on SMS
    said = await chat.say("2")
    assert said.startswith("Which store?")  # "2" is the second button, Opening hours, which asks for the store


async def test_a_typed_title_after_the_help_buttons_picks_that_button(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    await chat.say("what is the capital of peru", "out_of_scope", 0.95)
    said = await chat.say("nearest store")
    assert said.startswith("Which area or postcode")


async def test_a_number_to_a_size_question_is_that_size_not_that_option(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop, SMS, channel="sms")
    await chat.say("trailblazer boots brown at arndale", "check_stock")
    said = await chat.say("9")
    assert "Trailblazer Waterproof Hiking Boot in brown, UK 9" in said
