"""An order keeps the language of the conversation it was placed in, for what is said about it later from
outside the chat: the pay page (tests/bot/payments/test_pay_page_language.py) and notices to a conversation
that remembers nothing."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.catalog.inventory import set_on_hand
from bot.kernel.shop import Shop
from bot.ordering import orders
from bot.ordering.orders import orders_for_conversation
from tests.bot.conversation.chat import SMS, Chat
from tests.bot.factories import place, seed_small_shop


async def test_an_order_placed_in_finnish_keeps_finnish(catalog_shop: Shop) -> None:
    catalog_shop.run(set_on_hand, "altrincham", "FS-CMP-CHR-GRN-OS", 20)
    chat = Chat(catalog_shop)
    await chat.say("onko vihreää retkituolia altrinchamissa?", "check_stock", entities={"product": "retkituoli", "colour": "vihreä"})
    await chat.say("varaa 2", "reserve_item", entities={"quantity": "2"})
    await chat.say("kassalle", "place_order")
    placed = await chat.say("maksan noudettaessa", "choose_payment", entities={"payment_method": "at_pickup"})

    assert "Noutokoodisi" in placed
    [order] = catalog_shop.run(orders_for_conversation, chat.conversation_id)
    assert order.language == "fi"


async def test_a_notice_to_a_conversation_that_remembers_nothing_speaks_the_orders_language(shop: Shop) -> None:
    seed_small_shop(shop)
    placed = place(shop, SMS, {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=datetime.now(timezone.utc), language="id")
    shop.run(orders.mark_ready, placed.reference, "test")

    forgotten = Chat(shop, SMS, "sms")  # e.g. the conversation's tracker was lost
    ready = await forgotten.notice("EXTERNAL_order_ready", order_reference=placed.reference)

    assert placed.reference in ready and placed.pickup_code in ready and "Kabar baik" in ready
    assert forgotten.state.language == "id"


async def test_a_conversation_with_its_own_language_keeps_it_for_a_notice(shop: Shop) -> None:
    seed_small_shop(shop)
    placed = place(shop, SMS, {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=datetime.now(timezone.utc), language="id")
    shop.run(orders.mark_ready, placed.reference, "test")
    chat = Chat(shop, SMS, "sms")
    await chat.say("hello there, is anyone around?", "greet")  # the shopper has since switched to English

    ready = await chat.notice("EXTERNAL_order_ready", order_reference=placed.reference)

    assert ready.startswith("Good news") and chat.state.language == "en"


async def test_the_language_travels_with_the_notices_facts(shop: Shop) -> None:
    from bot.ordering.notices import NOTICE_FACTS
    from bot.ordering.pickup_alerts import pickup_notice

    seed_small_shop(shop)
    now = datetime.now(timezone.utc)
    placed = place(shop, SMS, {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=now, language="fi")
    shop.run(orders.mark_ready, placed.reference, "test")
    facts = shop.run(pickup_notice, placed.reference, now)
    assert facts.language == "fi"

    ready = await Chat(shop, SMS, "sms").notice("EXTERNAL_order_ready", order_reference=placed.reference, **{NOTICE_FACTS: facts.as_entity()})

    assert ready.startswith(f"Hyviä uutisia: tilauksesi {placed.reference} on noudettavissa")
