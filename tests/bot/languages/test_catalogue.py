"""Replies in the conversation's language: the catalogues, and a conversation held in Indonesian and Finnish."""

from __future__ import annotations

from bot.languages import N_, _, current, speaking
from bot.languages.catalogue import translate_to
from bot.kernel.shop import Shop
from tests.bot.conversation.chat import Chat


def test_texts_are_translated_only_within_speaking() -> None:
    text = N_("Check stock")
    assert _(text) == "Check stock"
    with speaking("id"):
        assert current() == "id" and _(text) == "Cek stok"
        with speaking("fi"):
            assert _(text) == "Tarkista saatavuus"
        assert _(text) == "Cek stok"
    assert current() == "en" and _(text) == "Check stock"
    assert translate_to("fi", "Your data") == "Tietosi"


def test_an_unknown_text_or_language_stays_english() -> None:
    with speaking("vi"):
        assert _("Check stock") == "Check stock"
    with speaking("id"):
        assert _("not a catalogued text") == "not a catalogued text"


async def test_an_indonesian_shopper_gets_indonesian_replies_and_buttons(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    said = await chat.say("halo kak", "greet")
    assert said.startswith("Halo! Saya asisten") and "Cek stok" in said
    said = await chat.say("ada trailblazer coklat ukuran 9 di arndale ga?", "check_stock",
                          entities={"product": "trailblazer", "colour": "coklat", "size": "9", "store": "arndale"})
    assert "Arndale" in said and "coklat" in said and ("Ada" in said or "habis" in said)
    assert chat.state.language == "id"
    said = await chat.say("9", "inform")  # a neutral answer keeps the conversation in Indonesian
    assert chat.state.language == "id"


async def test_a_finnish_shopper_can_switch_to_english_by_asking(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    said = await chat.say("milloin arndale on auki sunnuntaina?", "ask_hours", entities={"store": "arndale"})
    assert "Arndale on" in said and ("auki" in said or "suljettu" in said)
    said = await chat.say("English please, when does didsbury close today?", "ask_hours", entities={"store": "didsbury"})
    assert chat.state.language == "en" and "Didsbury is" in said


def test_every_support_topic_has_an_answer_in_each_language(catalog_shop: Shop) -> None:
    from bot.conversation.support import TOPIC_TITLES, faq_answer

    for language in ("id", "fi"):
        for topic in TOPIC_TITLES:
            english, translated = faq_answer(topic, catalog_shop.settings, language="en"), faq_answer(topic, catalog_shop.settings, language=language)
            assert translated and translated != english and "{" not in translated, (language, topic)
    hold = faq_answer("hold_time", catalog_shop.settings, language="id")
    assert hold is not None and "jam" in hold  # the figures from the settings, in the language's words


async def test_an_order_ready_alert_comes_in_the_conversations_language(shop: Shop) -> None:
    from dataclasses import replace
    from datetime import datetime, timezone

    from bot.ordering import orders
    from tests.bot.conversation.chat import SMS
    from tests.bot.factories import place, seed_small_shop

    seed_small_shop(shop)
    placed = place(shop, SMS, {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=datetime.now(timezone.utc))
    shop.run(orders.mark_ready, placed.reference, "test")
    chat = Chat(shop, SMS, "sms")
    chat.state = replace(chat.state, language="fi")
    ready = await chat.notice("EXTERNAL_order_ready", order_reference=placed.reference)
    assert ready.startswith(f"Hyviä uutisia: tilauksesi {placed.reference} on noudettavissa")
    assert placed.pickup_code in ready and "Maksa £89.99 noutaessasi." in ready
