"""Stock questions and reservations through the engine: slots fill from whatever the shopper says."""

from __future__ import annotations

import pytest

from bot.ordering.cart import view_cart
from bot.catalog.inventory import set_on_hand
from bot.kernel.shop import Shop
from tests.bot.conversation.chat import Chat


@pytest.fixture
def chat(catalog_shop: Shop) -> Chat:
    return Chat(catalog_shop)


def basket(chat: Chat) -> list[tuple[str, int]]:
    return [(line.sku, line.quantity) for line in chat.shop.run(view_cart, chat.conversation_id).lines]


async def test_the_question_asks_only_for_what_is_missing_and_takes_several_answers_at_once(chat: Chat) -> None:
    chat.shop.run(set_on_hand, "didsbury", "FS-FLC-KIN-NVY-M", 5)
    asked = await chat.say("is the kinder fleece in stock?", "check_stock")
    assert asked.startswith("Which colour of the Kinder Fleece Jacket?") and chat.buttons[:3] == ["Burgundy", "Grey", "Navy"]
    # The size and the store come with the colour, although only the colour was asked.
    answer = await chat.say("navy, M at didsbury")
    assert answer.startswith("Yes! Didsbury has 5 Kinder Fleece Jacket in navy, M (£59.99)")


async def test_a_colour_the_product_lacks_gets_the_colours_it_has(chat: Chat) -> None:
    await chat.say("pennine trail shoes", "check_stock")
    said = await chat.say("grey", "inform")
    assert said.startswith("Sorry, the Pennine Trail Running Shoe doesn't come in grey. It comes in black, blue or orange.")
    assert chat.buttons == ["Black", "Blue", "Orange", "Any"]


async def test_numbers_and_shop_words_are_never_products(chat: Chat) -> None:
    chat.shop.run(set_on_hand, "altrincham", "FS-CMP-CHR-GRN-OS", 10)
    await chat.say("folding camp chair at altrincham", "check_stock")
    await chat.say("green", "inform")
    added = await chat.say("reserve 2", "reserve_item")
    assert "2× Folding Camp Chair (green) £59.98" in added
    assert basket(chat) == [("FS-CMP-CHR-GRN-OS", 2)]
    shown = await chat.say("basket", "view_cart")
    assert "Ridgeback" not in shown and "2× Folding Camp Chair" in shown


async def test_reserve_x_at_y_in_one_message_adds_it(chat: Chat) -> None:
    chat.shop.run(set_on_hand, "arndale", "FS-BOOT-TRB-BLK-10", 6)
    said = await chat.say("reserve 2 trailblazer boots black size 10 at arndale", "reserve_item")
    assert said.startswith("Added.") and basket(chat) == [("FS-BOOT-TRB-BLK-10", 2)]


async def test_a_correction_after_adding_replaces_the_basket_line(chat: Chat) -> None:
    for sku in ("FS-CMP-CHR-GRN-OS", "FS-CMP-CHR-NVY-OS"):
        chat.shop.run(set_on_hand, "altrincham", sku, 10)
    await chat.say("reserve a green camp chair at altrincham", "reserve_item")
    await chat.say("no, I meant navy")
    assert basket(chat) == [("FS-CMP-CHR-NVY-OS", 1)]
    await chat.say("make it 3")
    assert basket(chat) == [("FS-CMP-CHR-NVY-OS", 3)]


async def test_out_of_stock_names_the_nearest_stores_and_yes_reserves_there(chat: Chat) -> None:
    for store, units in (("arndale", 0), ("didsbury", 3), ("stockport", 6)):
        chat.shop.run(set_on_hand, store, "FS-FLC-KIN-NVY-M", units)
    said = await chat.say("kinder fleece navy M at arndale", "check_stock")
    assert said.startswith("Sorry, Arndale is out of the Kinder Fleece Jacket in navy, M (£59.99).")
    assert "Didsbury has 3 in stock, 7.4 km away" in said and "Reserve at Didsbury?" in said
    await chat.say("yes")
    assert basket(chat) == [("FS-FLC-KIN-NVY-M", 1)]


async def test_vague_requests_get_a_short_list_and_the_second_one_picks(chat: Chat) -> None:
    listed = await chat.say("waterproof jackets", "check_stock")
    assert listed.startswith("Here's what I found:") and listed.count("£") >= 3 and len(chat.buttons) <= 5
    second = chat.buttons[1]
    picked = await chat.say("the second one")
    assert picked.startswith(second) and "Which colour" in picked


async def test_a_product_we_do_not_sell_is_said_plainly(chat: Chat) -> None:
    said = await chat.say("do you sell bikes", "out_of_scope", 0.9)
    assert said.startswith("Sorry, we don't sell bikes.")
    assert chat.state.question is None


async def test_a_few_asks_how_many(chat: Chat) -> None:
    chat.shop.run(set_on_hand, "arndale", "FS-ACC-BEA-BUR-OS", 10)
    await chat.say("burgundy beanies at arndale?", "check_stock")
    asked = await chat.say("i want to reserve a few", "reserve_item")
    assert asked == "How many of the Fellside Bobble Beanie would you like?"
    await chat.say("4")
    assert basket(chat) == [("FS-ACC-BEA-BUR-OS", 4)]
