"""Support answers, the scope reply, languages and figures from the settings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.conversation.support import faq_answer, fill
from bot.kernel.shop import Shop
from tests.bot.conversation.chat import Chat


async def test_a_confident_support_question_gets_its_answer(catalog_shop: Shop) -> None:
    said = await Chat(catalog_shop).say("can i return without a receipt", "faq", 0.9, faq=("faq/returns", 0.95))
    assert said.startswith("You can return unworn items within 60 days")


async def test_an_unsure_topic_gets_the_scope_reply_never_a_random_answer(catalog_shop: Shop) -> None:
    said = await Chat(catalog_shop).say("whats my bank balance", "faq", 0.35, faq=("faq/gift_cards", 0.3))
    assert said.startswith("Sorry, that's not something I can help with")


async def test_delivery_is_never_promised(catalog_shop: Shop) -> None:
    said = await Chat(catalog_shop).say("can you deliver to M20?", "faq", 0.4, faq=("faq/delivery", 0.9))
    assert "We don't deliver" in said and "Didsbury" in said
    assert "next day" not in said and "3-5 working days" not in said


async def test_hold_times_come_from_the_settings(catalog_shop: Shop) -> None:
    settings = replace(catalog_shop.settings, hold_minutes_unpaid=45, hold_hours_paid=48)
    answer = faq_answer("hold_time", settings)
    assert answer is not None and "45 minutes" in answer and "48 hours (2 days)" in answer
    assert fill("call {support_phone}", settings) == f"call {settings.support_phone}"


async def test_hold_time_after_ordering_is_that_orders_own(catalog_shop: Shop) -> None:
    from bot.catalog.inventory import set_on_hand

    catalog_shop.run(set_on_hand, "arndale", "FS-ACC-BEA-GRY-OS", 10)
    chat = Chat(catalog_shop)
    await chat.say("reserve a grey beanie at arndale", "reserve_item")
    await chat.say("checkout", "place_order")
    await chat.say("pay by link")
    said = await chat.say("how long will you hold it", "faq", 0.9, faq=("faq/hold_time", 0.9))
    assert said.startswith("Order FS-") and "held for you until" in said and "Pay by the link" in said


@pytest.mark.parametrize("text", [
    "Haben Sie Kinder Jacken im Angebot?",
    "Bạn có giày đi bộ cỡ 42 không?",
    "kya aapke paas hiking boots hai",
])
async def test_a_language_it_does_not_speak_gets_the_languages_it_does(catalog_shop: Shop, text: str) -> None:
    said = await Chat(catalog_shop).say(text, "out_of_scope", 0.5)
    assert said.startswith("Sorry, I speak English, Bahasa Indonesia and Finnish")


async def test_greeting_and_help_say_what_it_can_do(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    assert "Fellside Outfitters" in await chat.say("hi", "greet")
    assert "Check stock" in chat.buttons
    assert (await chat.say("what can you do", "help")).startswith("I'm the Fellside Outfitters virtual assistant")
