"""A multi-turn stock conversation over HTTP through the real Rasa server and the real bot server."""

from __future__ import annotations

import pytest

from bot.catalog.stock_replies import format_stock_answer
from bot.catalog.inventory import check_stock, set_on_hand
from tests.support.stack import WebShopper

pytestmark = pytest.mark.e2e

BOOT, BROWN, NINE = "FS-BOOT-TRB", "Brown", "9"
BOOT_SKU = "FS-BOOT-TRB-BRN-9"


def texts(replies: list[dict]) -> list[str]:
    return [reply["text"] for reply in replies]


def test_stock_question_answers_from_the_database_at_the_time_of_asking(assistant) -> None:
    stack, shop = assistant
    shopper = WebShopper(stack.bot_url)
    try:
        greeting = texts(shopper.say("hi"))
        assert any("Fellside" in line for line in greeting), greeting

        shop.run(set_on_hand, "arndale", BOOT_SKU, 7)
        expected = format_stock_answer(shop.run(check_stock, BOOT, "arndale", BROWN, NINE))
        assert texts(shopper.say("do you have the trailblazer boots in brown size 9 at arndale?")) == [expected]

        # Stock changes in the database; the same question gets the new answer with no retraining.
        shop.run(set_on_hand, "arndale", BOOT_SKU, 0)
        sold_out = shop.run(check_stock, BOOT, "arndale", BROWN, NINE)
        assert sold_out.available_here == 0 and sold_out.nearby, "the demo data should have it elsewhere"
        replies = texts(shopper.say("and now? do you have the trailblazer boots in brown size 9 at arndale"))
        assert replies == [format_stock_answer(sold_out)]
        assert sold_out.nearby[0].store.name in replies[0]
    finally:
        shopper.close()


def test_the_form_asks_only_for_what_is_missing(assistant) -> None:
    stack, shop = assistant
    shopper = WebShopper(stack.bot_url)
    try:
        asked_colour = shopper.say("is the kinder fleece in stock?")
        assert "colour" in asked_colour[-1]["text"].lower()
        colours = [button["title"] for button in asked_colour[-1]["payload"]["buttons"]]
        assert "Navy" in colours

        asked_size = shopper.say("navy")
        assert "size" in asked_size[-1]["text"].lower()

        asked_store = shopper.say("M")
        assert "store" in asked_store[-1]["text"].lower()

        answer = texts(shopper.say("didsbury"))
        expected = format_stock_answer(shop.run(check_stock, "FS-FLC-KIN", "didsbury", "Navy", "M"))
        assert answer == [expected]
    finally:
        shopper.close()


def test_words_it_cannot_place_get_a_helpful_reply_never_silence(assistant) -> None:
    stack, _ = assistant
    shopper = WebShopper(stack.bot_url)
    try:
        for gibberish in ("blorf qwzx vlem", "zzkq plomf"):
            replies = texts(shopper.say(gibberish))
            assert replies, f"no reply to {gibberish!r}"
            assert any(line.startswith("Sorry") or "Which product" in line for line in replies), replies
    finally:
        shopper.close()
