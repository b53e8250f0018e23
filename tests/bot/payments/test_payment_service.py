"""Pay links and webhook events applied to orders: idempotent, deduplicated, never backwards."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.ordering.rules import OrderNotPayable
from bot.kernel.models import AuditEntry, PaymentLink
from bot.kernel.models import PaymentEvent as ProcessedEvent
from bot.payments.base import EventKind, PaymentEvent
from bot.payments.sandbox import SandboxProvider
from bot.ordering import orders
from bot.ordering import hold_expiry
from bot.ordering.pay_links import (
    PAYMENT_FAILED,
    PAYMENT_RECEIVED,
    PAYMENT_REFUNDED,
    create_payment_link,
    execute_refund,
    handle_payment_event,
)
from tests.bot.factories import DEFAULT_NOW, place, seed_small_shop, stock

NOW = DEFAULT_NOW
PROVIDER = SandboxProvider("whsec_unit", "http://shop.test")


def _event(link, kind: EventKind, event_id: str, **changes) -> PaymentEvent:  # type: ignore[no-untyped-def]
    event = PaymentEvent(
        provider="sandbox",
        event_id=event_id,
        event_type={
            EventKind.SUCCEEDED: "checkout.session.completed",
            EventKind.EXPIRED: "checkout.session.expired",
            EventKind.FAILED: "checkout.session.async_payment_failed",
        }[kind],
        kind=kind,
        provider_ref=link.provider_ref,
        order_reference=link.order_reference,
        amount_minor=link.amount_minor,
        currency=link.currency,
        card_last4="4242",
    )
    return replace(event, **changes)


@pytest.fixture
def pending(shop):  # type: ignore[no-untyped-def]
    ids = seed_small_shop(shop)
    placed = place(shop, "sms:+447700900123", {ids.jacket: 2}, channel="sms", now=NOW)
    link = shop.run(create_payment_link, PROVIDER, placed.reference, NOW)
    return ids, placed, link


def _link_statuses(shop) -> list[str]:  # type: ignore[no-untyped-def]
    with shop.uow() as uow:
        return list(uow.session.scalars(select(PaymentLink.status).order_by(PaymentLink.id)))


def test_links_are_idempotent_per_order_and_amount(shop, pending) -> None:
    _ids, placed, link = pending
    assert (link.amount_minor, link.currency, link.reused) == (2 * 8999, "GBP", False)
    assert link.url == f"http://shop.test/pay/{link.provider_ref}"
    assert link.expires_at == placed.hold_expires_at
    again = shop.run(create_payment_link, PROVIDER, placed.reference.lower(), NOW + timedelta(minutes=5))
    assert again.reused and again.provider_ref == link.provider_ref
    assert _link_statuses(shop) == ["open"]


def test_a_lapsed_link_is_replaced_by_a_new_one(shop, pending) -> None:
    _ids, placed, link = pending
    shop.run(handle_payment_event, _event(link, EventKind.EXPIRED, "evt_exp"), now=NOW)
    fresh = shop.run(create_payment_link, PROVIDER, placed.reference, NOW)
    assert not fresh.reused and fresh.provider_ref != link.provider_ref
    assert _link_statuses(shop) == ["expired", "open"]


def test_only_pending_link_orders_get_links(shop) -> None:
    ids = seed_small_shop(shop)
    at_pickup = place(shop, "c1", {ids.jacket: 1}, payment_method="at_pickup")
    with pytest.raises(OrderNotPayable, match="paid at pickup"):
        shop.run(create_payment_link, PROVIDER, at_pickup.reference, NOW)
    paid = place(shop, "c2", {ids.jacket: 1})
    shop.run(orders.mark_paid, paid.reference, now=NOW)
    with pytest.raises(OrderNotPayable, match="it is paid"):
        shop.run(create_payment_link, PROVIDER, paid.reference, NOW)
    late = place(shop, "c3", {ids.fleece: 1}, now=NOW)
    with pytest.raises(OrderNotPayable, match="hold has run out"):
        shop.run(create_payment_link, PROVIDER, late.reference, NOW + timedelta(hours=2))


def test_payment_marks_the_order_paid_and_says_whom_to_tell(shop, pending) -> None:
    _ids, placed, link = pending
    outcome = shop.run(handle_payment_event, _event(link, EventKind.SUCCEEDED, "evt_1"), now=NOW + timedelta(minutes=3))
    assert (outcome.result, outcome.message_kind, outcome.order_status) == ("processed", PAYMENT_RECEIVED, "paid")
    assert (outcome.conversation_id, outcome.channel, outcome.order_reference) == ("sms:+447700900123", "sms", placed.reference)
    assert outcome.should_notify and outcome.refund is None
    summary = shop.run(orders.order_status, placed.reference)
    assert summary.paid_at == NOW + timedelta(minutes=3)
    assert summary.hold_expires_at == NOW + timedelta(minutes=3, hours=72)
    assert _link_statuses(shop) == ["paid"]
    with shop.uow() as uow:
        detail = uow.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "order_paid")).one()
        assert detail["card_last4"] == "4242"


def test_the_same_event_is_processed_once(shop, pending) -> None:
    _ids, _placed, link = pending
    outcomes = [shop.run(handle_payment_event, _event(link, EventKind.SUCCEEDED, "evt_1"), now=NOW) for _ in range(5)]
    assert [o.result for o in outcomes] == ["processed"] + ["duplicate"] * 4
    assert [o.should_notify for o in outcomes] == [True] + [False] * 4
    with shop.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ProcessedEvent)) == 1
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "order_paid")) == 1


def test_a_second_success_event_for_the_same_payment_changes_nothing(shop, pending) -> None:
    _ids, _placed, link = pending
    shop.run(handle_payment_event, _event(link, EventKind.SUCCEEDED, "evt_1"), now=NOW)
    outcome = shop.run(handle_payment_event, _event(link, EventKind.SUCCEEDED, "evt_2"), now=NOW)
    assert (outcome.result, outcome.message_kind, outcome.refund) == ("processed", None, None)


def test_expired_after_completed_does_not_move_backwards(shop, pending) -> None:
    _ids, placed, link = pending
    shop.run(handle_payment_event, _event(link, EventKind.SUCCEEDED, "evt_paid"), now=NOW)
    outcome = shop.run(handle_payment_event, _event(link, EventKind.EXPIRED, "evt_exp"), now=NOW)
    assert (outcome.message_kind, outcome.order_status) == (None, "paid")
    failed = shop.run(handle_payment_event, _event(link, EventKind.FAILED, "evt_fail"), now=NOW)
    assert failed.message_kind is None
    assert _link_statuses(shop) == ["paid"]
    assert shop.run(orders.order_status, placed.reference).status == "paid"


def test_payment_after_the_hold_expired_is_refunded_not_resurrected(shop, pending) -> None:
    ids, placed, link = pending
    shop.run(hold_expiry.expire_due_holds, NOW + timedelta(hours=2))
    assert stock(shop, ids.leeds, ids.jacket) == (5, 0)

    outcome = shop.run(handle_payment_event, _event(link, EventKind.SUCCEEDED, "evt_late"), now=NOW + timedelta(hours=2, minutes=1))
    assert (outcome.message_kind, outcome.order_status) == (PAYMENT_REFUNDED, "expired")
    assert outcome.refund is not None
    assert (outcome.refund.provider_ref, outcome.refund.amount_minor, outcome.refund.reason) == (link.provider_ref, 17998, "order_expired")
    assert shop.run(orders.order_status, placed.reference).status == "expired"
    assert stock(shop, ids.leeds, ids.jacket) == (5, 0)  # the stock stays released

    result = shop.run(execute_refund, PROVIDER, outcome.refund)
    assert result.status == "succeeded"
    assert _link_statuses(shop) == ["refunded"]
    with shop.uow() as uow:
        actions = list(uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions[-2:] == ["refund_required", "refunded"]


def test_a_wrong_amount_is_refunded(shop, pending) -> None:
    _ids, placed, link = pending
    outcome = shop.run(handle_payment_event, _event(link, EventKind.SUCCEEDED, "evt_1", amount_minor=1), now=NOW)
    assert outcome.refund is not None and (outcome.refund.amount_minor, outcome.refund.reason) == (1, "amount_mismatch")
    assert shop.run(orders.order_status, placed.reference).status == "pending_payment"


def test_paying_twice_through_two_links_refunds_the_second(shop, pending) -> None:
    _ids, placed, first = pending
    shop.run(handle_payment_event, _event(first, EventKind.EXPIRED, "evt_exp"), now=NOW)
    second = shop.run(create_payment_link, PROVIDER, placed.reference, NOW)
    shop.run(handle_payment_event, _event(second, EventKind.SUCCEEDED, "evt_2"), now=NOW)
    # The shopper had the first page open and paid it too (Stripe can still complete a session late).
    outcome = shop.run(handle_payment_event, _event(first, EventKind.SUCCEEDED, "evt_1"), now=NOW)
    assert outcome.refund is not None and outcome.refund.provider_ref == first.provider_ref
    assert outcome.order_status == "paid"


def test_failed_async_payment_tells_the_shopper(shop, pending) -> None:
    _ids, placed, link = pending
    outcome = shop.run(handle_payment_event, _event(link, EventKind.FAILED, "evt_f"), now=NOW)
    assert outcome.message_kind == PAYMENT_FAILED
    assert _link_statuses(shop) == ["failed"]
    assert shop.run(orders.order_status, placed.reference).status == "pending_payment"


def test_events_for_unknown_links_are_recorded_and_ignored(shop, pending) -> None:
    _ids, _placed, link = pending
    outcome = shop.run(handle_payment_event, _event(link, EventKind.SUCCEEDED, "evt_x", provider_ref="cs_sandbox_nope"), now=NOW)
    assert (outcome.result, outcome.should_notify) == ("unknown_link", False)
    assert shop.run(handle_payment_event, _event(link, EventKind.SUCCEEDED, "evt_x"), now=NOW).result == "duplicate"


def test_cancelling_a_paid_order_refunds_it(shop, pending) -> None:
    ids, placed, link = pending
    shop.run(handle_payment_event, _event(link, EventKind.SUCCEEDED, "evt_1"), now=NOW)
    cancelled = shop.run(orders.cancel_order, placed.reference, "can't come", "shopper:sms")
    assert cancelled.previous_status == "paid"
    assert cancelled.refund is not None
    assert (cancelled.refund.provider, cancelled.refund.provider_ref, cancelled.refund.amount_minor) == ("sandbox", link.provider_ref, 17998)
    assert stock(shop, ids.leeds, ids.jacket) == (5, 0)
