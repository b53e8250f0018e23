"""The messaging service: opt-out, inbound dedupe, transcript, outbound records, status updates, retries."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.messaging.channels.types import ContentTemplate, OutboundText
from bot.kernel.models import ChatMessage, InboundDelivery, OutboundMessage
from bot.messaging import channel_rules as messaging
from bot.identity.customers import record_inbound_identity
from bot.kernel.shop import Shop

PHONE = "+447700900123"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def sms(text: str = "hello", **fields: object) -> OutboundText:
    return OutboundText("sms", PHONE, text, f"sms:{PHONE}", **fields)  # type: ignore[arg-type]


def outbound(shop: Shop, outbound_id: int) -> OutboundMessage:
    with shop.uow() as uow:
        row = uow.session.get(OutboundMessage, outbound_id)
        uow.session.expunge(row)
        return row


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("STOP", "opt_out"),
        (" stop\n", "opt_out"),
        ("StopAll", "opt_out"),
        ("unsubscribe", "opt_out"),
        ("cancel", "opt_out"),
        ("END", "opt_out"),
        ("quit", "opt_out"),
        ("start", "opt_in"),
        ("YES", "opt_in"),
        ("unstop", "opt_in"),
        ("help", "help"),
        ("Info", "help"),
        ("stop please", None),
        ("cancel my order", None),
        ("", None),
        (None, None),
    ],
)
def test_keywords_are_exact_trimmed_and_case_insensitive(text: str | None, kind: str | None) -> None:
    assert messaging.classify_keyword(text) == kind


def test_opt_out_and_back_in(shop: Shop) -> None:
    assert shop.run(messaging.is_opted_out, PHONE) is False
    shop.run(messaging.opt_out, PHONE, "stop")
    shop.run(messaging.opt_out, PHONE, "QUIT")  # a second STOP is harmless
    assert shop.run(messaging.is_opted_out, PHONE) is True
    assert shop.run(messaging.opt_in, PHONE) is True
    assert shop.run(messaging.opt_in, PHONE) is False
    assert shop.run(messaging.is_opted_out, PHONE) is False


def test_opted_out_phone_is_refused_and_recorded(shop: Shop) -> None:
    shop.run(messaging.opt_out, PHONE, "STOP")
    plan = shop.run(messaging.plan_outbound, sms("Sale!"))
    assert (plan.status, plan.should_send) == ("opted_out", False)
    row = outbound(shop, plan.outbound_id)
    assert (row.status, row.body) == ("opted_out", "Sale!")
    assert "opted out" in row.last_error
    # Other channels are not phone numbers: opt-out does not apply to them.
    telegram = shop.run(messaging.plan_outbound, OutboundText("telegram", PHONE, "hi"))
    assert telegram.status == "queued"


def test_inbound_delivery_is_claimed_once(shop: Shop) -> None:
    def duplicate(channel: str, delivery_id: str) -> bool:
        return shop.run(messaging.accept_inbound, channel, delivery_id, PHONE, "hi", None, now=NOW).duplicate

    assert [duplicate("sms", "SM1"), duplicate("sms", "SM1"), duplicate("whatsapp", "SM1")] == [False, True, False]


@pytest.mark.parametrize("database", ["shop", "pg_shop"])
def test_inbound_delivery_claim_is_atomic_under_concurrency(database: str, request: pytest.FixtureRequest) -> None:
    shop: Shop = request.getfixturevalue(database)
    duplicates: list[bool] = []
    start = threading.Barrier(8)

    def deliver() -> None:
        start.wait()
        duplicates.append(shop.run(messaging.accept_inbound, "sms", "SMrace", PHONE, "hi", None, now=NOW).duplicate)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(duplicates) == [False] + [True] * 7


@pytest.mark.parametrize("database", ["shop", "pg_shop"])
def test_accept_inbound_records_identity_and_transcript_once(database: str, request: pytest.FixtureRequest) -> None:
    shop: Shop = request.getfixturevalue(database)
    first = shop.run(messaging.accept_inbound, "sms", "SM9", PHONE, "hi", None, now=NOW)
    again = shop.run(messaging.accept_inbound, "sms", "SM9", PHONE, "hi", None, now=NOW)
    assert first.duplicate is False and again.duplicate is True
    assert first.identity.conversation_id == f"sms:{PHONE}"
    with shop.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ChatMessage)) == 1
        assert uow.session.scalar(select(func.count()).select_from(InboundDelivery)) == 1


def test_transcript_lines_and_last_offered_options(shop: Shop) -> None:
    conversation = f"sms:{PHONE}"
    options = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    first = shop.run(messaging.record_transcript, conversation, "sms", "user", "reserve them")
    second = shop.run(messaging.record_transcript, conversation, "sms", "bot", "Reserve 2?", {"buttons": options})
    assert second > first
    assert shop.run(messaging.last_offered_options, conversation) == options
    shop.run(messaging.record_transcript, conversation, "sms", "user", "1")
    assert shop.run(messaging.last_offered_options, conversation) == options  # user lines do not hide them
    shop.run(messaging.record_transcript, conversation, "sms", "bot", "Done.")
    assert shop.run(messaging.last_offered_options, conversation) == []
    assert shop.run(messaging.last_offered_options, "sms:+440000") == []
    with pytest.raises(ValueError, match="author"):
        shop.run(messaging.record_transcript, conversation, "sms", "robot", "x")


def test_service_window(shop: Shop) -> None:
    assert shop.run(messaging.within_service_window, "sms", PHONE, now=NOW) is True
    assert shop.run(messaging.within_service_window, "whatsapp", PHONE, now=NOW) is False  # never wrote
    shop.run(record_inbound_identity, "whatsapp", PHONE, now=NOW)
    assert shop.run(messaging.within_service_window, "whatsapp", PHONE, now=NOW + timedelta(hours=23, minutes=59)) is True
    assert shop.run(messaging.within_service_window, "whatsapp", PHONE, now=NOW + timedelta(hours=24)) is False


def test_plan_modes_outside_the_window(shop: Shop) -> None:
    for channel, address in (("whatsapp", PHONE), ("messenger", "PSID"), ("instagram", "IGSID")):
        shop.run(record_inbound_identity, channel, address, now=NOW - timedelta(days=2))
    template = ContentTemplate("HX1", {"1": "x"})
    whatsapp = shop.run(messaging.plan_outbound, OutboundText("whatsapp", PHONE, "x", template=template), now=NOW)
    messenger = shop.run(
        messaging.plan_outbound, OutboundText("messenger", "PSID", "x", message_tag="POST_PURCHASE_UPDATE"), now=NOW
    )
    instagram = shop.run(
        messaging.plan_outbound, OutboundText("instagram", "IGSID", "x", message_tag="POST_PURCHASE_UPDATE"), now=NOW
    )
    assert (whatsapp.status, whatsapp.mode) == ("queued", "template")
    assert (messenger.status, messenger.mode) == ("queued", "tagged")
    assert instagram.status == "blocked_window" and "Instagram" in instagram.reason


def test_outbound_lifecycle_and_out_of_order_status_reports(shop: Shop) -> None:
    plan = shop.run(messaging.plan_outbound, sms())
    assert outbound(shop, plan.outbound_id).status == "queued"
    shop.run(messaging.mark_sent, plan.outbound_id, "SMabc")
    assert shop.run(messaging.apply_status_callback, "SMabc", "sending") is True
    assert outbound(shop, plan.outbound_id).status == "sent"
    shop.run(messaging.apply_status_callback, "SMabc", "delivered")
    shop.run(messaging.apply_status_callback, "SMabc", "sent")  # late report
    assert outbound(shop, plan.outbound_id).status == "delivered"
    shop.run(messaging.apply_status_callback, "SMabc", "read")
    assert outbound(shop, plan.outbound_id).status == "read"
    assert shop.run(messaging.apply_status_callback, "SMnope", "delivered") is False


def test_failures_back_off_then_give_up(shop: Shop) -> None:
    plan = shop.run(messaging.plan_outbound, sms())
    statuses = []
    for attempt in range(1, messaging.MAX_SEND_ATTEMPTS + 1):
        statuses.append(shop.run(messaging.mark_failed, plan.outbound_id, f"HTTP 503 #{attempt}", transient=True, now=NOW))
        row = outbound(shop, plan.outbound_id)
        if row.status == "retrying":
            assert row.next_attempt_at.replace(tzinfo=timezone.utc) == NOW + messaging.retry_delay(attempt)
    assert statuses == ["retrying"] * (messaging.MAX_SEND_ATTEMPTS - 1) + ["failed"]
    row = outbound(shop, plan.outbound_id)
    assert (row.attempts, row.next_attempt_at, row.last_error) == (5, None, "HTTP 503 #5")
    assert [messaging.retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


def test_permanent_failure_is_not_retried(shop: Shop) -> None:
    plan = shop.run(messaging.plan_outbound, sms())
    assert shop.run(messaging.mark_failed, plan.outbound_id, "HTTP 400", transient=False) == "failed"
    assert shop.run(messaging.claim_due_retries, now=NOW + timedelta(days=1)) == []


def test_due_retries_are_claimed_once(shop: Shop) -> None:
    plan = shop.run(messaging.plan_outbound, sms())
    shop.run(messaging.mark_failed, plan.outbound_id, "HTTP 503", transient=True, now=NOW)
    assert shop.run(messaging.claim_due_retries, now=NOW + timedelta(seconds=10)) == []
    assert shop.run(messaging.claim_due_retries, now=NOW + timedelta(seconds=31)) == [plan.outbound_id]
    assert shop.run(messaging.claim_due_retries, now=NOW + timedelta(seconds=31)) == []
    assert outbound(shop, plan.outbound_id).status == "queued"


def test_dedupe_key_refers_to_the_first_message(shop: Shop) -> None:
    first = shop.run(messaging.plan_outbound, sms(dedupe_key="ready:FO-9"))
    second = shop.run(messaging.plan_outbound, sms(dedupe_key="ready:FO-9"))
    assert (second.status, second.outbound_id) == ("duplicate", first.outbound_id)


def test_outbox_mode_records_without_queueing(shop: Shop) -> None:
    plan = shop.run(messaging.plan_outbound, sms("code 123"), record_only=True)
    assert (plan.status, plan.should_send) == ("outbox", False)
    assert outbound(shop, plan.outbound_id).payload is None


def test_extras_survive_a_round_trip_for_retries(shop: Shop) -> None:
    message = OutboundText(
        "whatsapp", PHONE, "ready", f"whatsapp:{PHONE}", media_url="https://x/y.jpg", template=ContentTemplate("HX9", {"1": "a"})
    )
    shop.run(record_inbound_identity, "whatsapp", PHONE)
    plan = shop.run(messaging.plan_outbound, message)
    rebuilt, replan = shop.run(messaging.begin_resend, plan.outbound_id)
    assert rebuilt == message
    assert replan.status == "queued"
