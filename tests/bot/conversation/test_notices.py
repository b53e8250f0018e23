"""News pushed into the conversation (EXTERNAL_ intents): composed now, silent when no longer relevant."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.conversation.heard import Heard
from sqlalchemy import update

from bot.kernel.models import Order, StoreHours
from bot.ordering.pickup_alerts import pickup_notice
from bot.ordering import orders
from bot.kernel.shop import Shop
from tests.bot.conversation.chat import SMS, Chat
from tests.bot.factories import place, seed_small_shop


def _open_every_day(shop: Shop, store_id: str) -> None:
    with shop.uow() as uow:
        uow.session.add_all(StoreHours(store_id=store_id, weekday=day, opens="09:00", closes="17:30") for day in range(7))
        uow.commit()


async def test_order_ready_and_reminder_name_the_order_and_code(shop: Shop) -> None:
    seed_small_shop(shop)
    _open_every_day(shop, "leeds")
    placed = place(shop, SMS, {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=datetime.now(timezone.utc))
    shop.run(orders.mark_ready, placed.reference, "test")
    chat = Chat(shop, SMS, "sms")
    ready = await chat.notice("EXTERNAL_order_ready", order_reference=placed.reference)
    assert ready.startswith(f"Good news: your order {placed.reference} is ready to collect from Fellside Leeds")
    assert placed.pickup_code in ready and "Pay £89.99 when you collect." in ready
    reminder = await chat.notice("EXTERNAL_pickup_reminder", order_reference=placed.reference)
    assert reminder.startswith(f"A reminder: your order {placed.reference} is waiting for you")


async def test_payment_received_says_where_to_collect(shop: Shop) -> None:
    seed_small_shop(shop)
    placed = place(shop, "web-1", {"JKT-NVY-M": 1}, payment_method="link")
    said = await Chat(shop).notice("EXTERNAL_payment_received", order_reference=placed.reference)
    assert said.startswith(f"Payment received for {placed.reference}, thank you!")


async def test_silent_for_collected_unknown_or_missing_orders(shop: Shop) -> None:
    seed_small_shop(shop)
    placed = place(shop, "web-1", {"JKT-NVY-M": 1}, payment_method="at_pickup")
    shop.run(orders.mark_ready, placed.reference, "test")
    shop.run(orders.mark_collected, placed.reference, "test", placed.pickup_code)
    chat = Chat(shop)
    assert await chat.notice("EXTERNAL_hold_ending", order_reference=placed.reference) == ""
    assert await chat.notice("EXTERNAL_order_ready", order_reference="FS-ZZZZZZ") == ""
    assert await chat.notice("EXTERNAL_order_ready") == ""
    assert chat.state.question is None


async def test_a_notice_delivered_twice_is_said_once(shop: Shop) -> None:
    """At-least-once delivery: a sweeper that died after Rasa took the notice sends it again after its lease."""
    seed_small_shop(shop)
    placed = place(shop, "web-1", {"JKT-NVY-M": 1}, payment_method="link")
    chat = Chat(shop)
    key = f"payment_received:{placed.reference}"
    first = await chat.notice("EXTERNAL_payment_received", order_reference=placed.reference, notice_key=key)
    assert first.startswith(f"Payment received for {placed.reference}")
    assert await chat.notice("EXTERNAL_payment_received", order_reference=placed.reference, notice_key=key) == ""
    # The shopper's conversation goes on in between; the key is still remembered ("start over" included).
    await chat.say("start over")
    assert await chat.notice("EXTERNAL_payment_received", order_reference=placed.reference, notice_key=key) == ""
    # A different notice about the same order (a second declined card, say) is a new key and is said.
    failed = await chat.notice("EXTERNAL_payment_failed", order_reference=placed.reference, notice_key=f"payment_failed:{placed.reference}/evt_2")
    assert failed != ""


async def test_an_alert_says_what_the_outbox_read_when_it_claimed_it(shop: Shop) -> None:
    """The outbox reads the order once, with the claim, and carries it (`notice_facts`); the conversation words
    those facts instead of reading the order again. Collected in between, a second read would say nothing."""
    seed_small_shop(shop)
    _open_every_day(shop, "leeds")
    placed = place(shop, SMS, {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=datetime.now(timezone.utc))
    shop.run(orders.mark_ready, placed.reference, "test")
    facts = shop.run(pickup_notice, placed.reference).as_entity()
    read_now = await Chat(shop, SMS, "sms").notice("EXTERNAL_order_ready", order_reference=placed.reference)
    shop.run(orders.mark_collected, placed.reference, "test", placed.pickup_code)

    carried = await Chat(shop, SMS, "sms").notice("EXTERNAL_order_ready", order_reference=placed.reference, notice_facts=facts)
    assert carried == read_now and placed.pickup_code in carried

    # A shopper typing the trigger as a payload gets nothing repeated back from what it claims.
    chat = Chat(shop, SMS, "sms")
    typed = Heard(text="/EXTERNAL_order_ready", intent="EXTERNAL_order_ready", confidence=1.0, channel="sms",
                  conversation_id=SMS, entities={"order_reference": placed.reference, "notice_facts": facts}, tapped=True)
    assert await chat._turn(typed) == ""


async def test_payment_news_says_what_the_outbox_read_when_it_claimed_it(shop: Shop) -> None:
    """Payment and hold notices carry their facts too: the refund amount and the store come from the claim,
    not from a second read (the order, renamed in between, is no longer there to read by its reference)."""
    seed_small_shop(shop)
    placed = place(shop, "web-1", {"JKT-NVY-M": 1}, payment_method="link")
    facts = shop.run(pickup_notice, placed.reference).as_entity()
    read_now = await Chat(shop).notice("EXTERNAL_payment_received", order_reference=placed.reference)
    refund_now = await Chat(shop).notice("EXTERNAL_payment_refunded", order_reference=placed.reference)
    assert "£89.99" in refund_now

    with shop.uow() as uow:
        uow.session.execute(update(Order).where(Order.reference == placed.reference).values(reference="FS-GONE00"))
        uow.commit()
    assert await Chat(shop).notice("EXTERNAL_payment_received", order_reference=placed.reference) == ""
    assert await Chat(shop).notice("EXTERNAL_payment_received", order_reference=placed.reference, notice_facts=facts) == read_now
    assert await Chat(shop).notice("EXTERNAL_payment_refunded", order_reference=placed.reference, notice_facts=facts) == refund_now


async def test_a_later_delivery_already_in_the_transcript_is_not_said_again(shop: Shop) -> None:
    """A Rasa replica said the notice (the transcript has it) and died before saving the tracker that remembers
    its key: the retry reaches a conversation that does not remember it, and must still not say it twice."""
    from bot.messaging.transcript import record_message

    seed_small_shop(shop)
    placed = place(shop, "web-1", {"JKT-NVY-M": 1}, payment_method="link")
    key = f"payment_received:{placed.reference}"
    first = await Chat(shop).notice("EXTERNAL_payment_received", order_reference=placed.reference, notice_key=key, notice_attempt=1)
    assert first.startswith(f"Payment received for {placed.reference}")
    # A first delivery is said without a look-up, even where an identical line exists (it cannot be a repeat).
    shop.run(record_message, Chat(shop).conversation_id, "web", "bot", first)
    assert await Chat(shop).notice("EXTERNAL_payment_received", order_reference=placed.reference, notice_key=key, notice_attempt=1) == first

    lost_tracker = Chat(shop)
    assert await lost_tracker.notice("EXTERNAL_payment_received", order_reference=placed.reference, notice_key=key, notice_attempt=2) == ""
    assert key in lost_tracker.state.notices  # acknowledged, so the outbox settles it
    # Another conversation, or a notice not said yet, is told on a retry as before.
    assert (await Chat(shop, SMS, "sms").notice("EXTERNAL_payment_received", order_reference=placed.reference, notice_key=key, notice_attempt=2)) != ""
    failed = await Chat(shop).notice("EXTERNAL_payment_failed", order_reference=placed.reference, notice_key=f"payment_failed:{placed.reference}/e1", notice_attempt=3)
    assert failed.startswith(f"The payment for {placed.reference}")
