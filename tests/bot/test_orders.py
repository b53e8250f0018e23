"""Orders: the state machine, placing with an all-or-nothing hold, status changes and ownership."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.catalog.stock_query import UnknownStore
from bot.kernel import clock
from bot.ordering.rules import (
    UNAMBIGUOUS_ALPHABET,
    EmptyCart,
    HoldPolicy,
    InvalidTransition,
    NotYourOrder,
    OrderNotFound,
    OrderStatus,
    OutOfStock,
    PaymentDisposition,
    PaymentMethodNotOffered,
    TooManyAttempts,
    TransitionVerdict,
    VerificationExpired,
    VerificationFailed,
    VerificationUnavailable,
    judge_payment,
    judge_transition,
    new_order_reference,
    new_pickup_code,
    normalise_reference,
    pickup_codes_match,
)
from bot.kernel.models import AuditEntry, OneTimeCode, Timer
from bot.ordering import cart, order_access, orders
from bot.ordering import hold_expiry, placing
from tests.bot.factories import DEFAULT_NOW, place, seed_small_shop, stock

NOW = DEFAULT_NOW

# --- domain -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target", "method", "verdict"),
    [
        ("pending_payment", "paid", "link", TransitionVerdict.APPLY),
        ("paid", "ready", "link", TransitionVerdict.APPLY),
        ("ready", "collected", "link", TransitionVerdict.APPLY),
        ("pending_payment", "expired", "link", TransitionVerdict.APPLY),
        ("pending_payment", "cancelled", "link", TransitionVerdict.APPLY),
        ("paid", "cancelled", "link", TransitionVerdict.APPLY),
        ("ready", "cancelled", "link", TransitionVerdict.APPLY),
        ("pending_payment", "ready", "at_pickup", TransitionVerdict.APPLY),
        ("pending_payment", "ready", "link", TransitionVerdict.REFUSED),  # unpaid link order
        ("paid", "paid", "link", TransitionVerdict.ALREADY_DONE),
        ("expired", "expired", "link", TransitionVerdict.ALREADY_DONE),
        ("ready", "paid", "link", TransitionVerdict.REFUSED),  # backwards
        ("expired", "paid", "link", TransitionVerdict.REFUSED),  # no resurrection
        ("cancelled", "pending_payment", "link", TransitionVerdict.REFUSED),
        ("collected", "cancelled", "link", TransitionVerdict.REFUSED),
        ("paid", "expired", "link", TransitionVerdict.REFUSED),
        ("pending_payment", "collected", "at_pickup", TransitionVerdict.REFUSED),
    ],
)
def test_state_machine(current: str, target: str, method: str, verdict: TransitionVerdict) -> None:
    assert judge_transition(current, target, method) is verdict


@pytest.mark.parametrize(
    ("status", "same_link", "disposition"),
    [
        ("pending_payment", False, PaymentDisposition.APPLY),
        ("paid", True, PaymentDisposition.DUPLICATE),
        ("ready", True, PaymentDisposition.DUPLICATE),
        ("paid", False, PaymentDisposition.REFUND),  # second payment through another link
        ("expired", False, PaymentDisposition.REFUND),
        ("cancelled", False, PaymentDisposition.REFUND),
    ],
)
def test_what_a_payment_means(status: str, same_link: bool, disposition: PaymentDisposition) -> None:
    assert judge_payment(status, same_link) is disposition


def test_codes_use_the_unambiguous_alphabet() -> None:
    for _ in range(200):
        code = new_pickup_code()
        assert len(code) == 6 and set(code) <= set(UNAMBIGUOUS_ALPHABET)
        assert re.fullmatch(r"FS-[2-9A-HJKMNP-Z]{6}", new_order_reference())
    assert not set("01OIL") & set(UNAMBIGUOUS_ALPHABET)


def test_typed_references_and_codes_are_forgiving() -> None:
    assert normalise_reference(" fs 7k2m9q ") == "FS-7K2M9Q"
    assert normalise_reference("FS-7K2M9Q") == "FS-7K2M9Q"
    assert pickup_codes_match("7K2M9Q", " 7k2 m9q")
    assert not pickup_codes_match("7K2M9Q", "7K2M9R")


def test_hold_policy_must_be_positive() -> None:
    with pytest.raises(ValueError):
        HoldPolicy(unpaid_minutes=0)


# --- placing ----------------------------------------------------------------------------------------


def test_place_order_holds_stock_clears_cart_and_sets_a_timer(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "c1", {ids.jacket: 2, ids.boots: 1})

    assert placed.status == "pending_payment"
    assert re.fullmatch(r"FS-[2-9A-HJKMNP-Z]{6}", placed.reference)
    assert placed.total_minor == 2 * 8999 + 12000 and placed.currency == "GBP"
    assert placed.hold_expires_at == NOW + timedelta(minutes=120)
    assert [(line.sku, line.quantity, line.name) for line in placed.lines] == [
        (ids.jacket, 2, "Trail Jacket"),
        (ids.boots, 1, "Ridge Boots"),
    ]
    assert stock(shop, ids.leeds, ids.jacket) == (5, 2)
    assert stock(shop, ids.leeds, ids.boots) == (3, 1)
    assert shop.run(cart.view_cart, "c1").is_empty
    with shop.uow() as uow:
        timer = uow.session.scalars(select(Timer)).one()
        assert (timer.kind, timer.subject, timer.fired_at) == ("hold_expiry", str(_order_id(uow, placed.reference)), None)
        assert clock.as_utc(timer.due_at) == placed.hold_expires_at


def _order_id(uow, reference: str) -> int:  # type: ignore[no-untyped-def]
    return orders.find_order(uow, reference).id


def test_hold_length_comes_from_the_policy(shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(cart.add_to_cart, "c1", ids.jacket, 1)
    placed = shop.run(placing.place_order, "c1", "sms", ids.leeds, "link", now=NOW, hold_policy=HoldPolicy(unpaid_minutes=15))
    assert placed.hold_expires_at == NOW + timedelta(minutes=15)


def test_pay_at_pickup_is_held_for_collection(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "c1", {ids.jacket: 1}, payment_method="at_pickup")
    assert placed.payment_method == "at_pickup"
    assert placed.hold_expires_at == NOW + timedelta(hours=72)


def test_pay_at_pickup_only_where_the_store_offers_it(shop) -> None:
    ids = seed_small_shop(shop)
    with pytest.raises(PaymentMethodNotOffered):
        place(shop, "c1", {ids.jacket: 1}, store_id=ids.york, payment_method="at_pickup")
    assert stock(shop, ids.york, ids.jacket) == (2, 0)
    assert shop.run(cart.view_cart, "c1").item_count == 1


def test_reservation_is_all_or_nothing(shop) -> None:
    ids = seed_small_shop(shop)
    with pytest.raises(OutOfStock) as caught:
        place(shop, "c1", {ids.jacket: 1, ids.boots: 3})  # boots: 3 on hand, buffer 1 -> 2
    assert (caught.value.sku, caught.value.available) == (ids.boots, 2)
    assert stock(shop, ids.leeds, ids.jacket) == (5, 0)
    assert stock(shop, ids.leeds, ids.boots) == (3, 0)
    assert shop.run(cart.view_cart, "c1").item_count == 4  # the cart is kept to adjust


def test_safety_buffer_is_respected(shop) -> None:
    ids = seed_small_shop(shop)
    with pytest.raises(OutOfStock) as caught:
        place(shop, "c1", {ids.jacket: 5})
    assert caught.value.available == 4
    assert place(shop, "c2", {ids.jacket: 4}).status == "pending_payment"
    assert stock(shop, ids.leeds, ids.jacket) == (5, 4)


def test_a_sku_the_store_never_stocked_is_out_of_stock(shop) -> None:
    ids = seed_small_shop(shop)
    with pytest.raises(OutOfStock) as caught:
        place(shop, "c1", {ids.boots: 1}, store_id=ids.york)
    assert (caught.value.sku, caught.value.available) == (ids.boots, 0)


def test_empty_cart_and_unknown_store(shop) -> None:
    ids = seed_small_shop(shop)
    with pytest.raises(EmptyCart):
        shop.run(placing.place_order, "c1", "web", ids.leeds, "link")
    shop.run(cart.add_to_cart, "c1", ids.jacket, 1)
    with pytest.raises(UnknownStore):
        shop.run(placing.place_order, "c1", "web", "atlantis", "link")
    with pytest.raises(ValueError):
        shop.run(placing.place_order, "c1", "web", ids.leeds, "cheque")


# --- status changes ---------------------------------------------------------------------------------


def test_paid_ready_collected(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "c1", {ids.jacket: 2})
    later = NOW + timedelta(minutes=5)

    paid = shop.run(orders.mark_paid, placed.reference, now=later)
    assert paid.status == "paid" and paid.paid_at == later
    assert paid.hold_expires_at == later + timedelta(hours=72)
    assert shop.run(orders.mark_paid, placed.reference, now=later + timedelta(minutes=1)).paid_at == later

    ready = shop.run(orders.mark_ready, placed.reference, "staff:leeds")
    assert ready.status == "ready"
    assert shop.run(orders.mark_paid, placed.reference).status == "ready"  # late duplicate: no step back

    with pytest.raises(NotYourOrder):
        shop.run(orders.mark_collected, placed.reference, "staff:leeds", pickup_code="WRONG1")
    collected = shop.run(orders.mark_collected, placed.reference, "staff:leeds", pickup_code=placed.pickup_code.lower())
    assert collected.status == "collected"
    assert stock(shop, ids.leeds, ids.jacket) == (3, 0)  # left the shelf
    # Collecting twice changes nothing.
    shop.run(orders.mark_collected, placed.reference, "staff:leeds")
    assert stock(shop, ids.leeds, ids.jacket) == (3, 0)


def test_unpaid_link_order_cannot_be_made_ready(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "c1", {ids.jacket: 1})
    with pytest.raises(InvalidTransition):
        shop.run(orders.mark_ready, placed.reference, "staff:leeds")


def test_pay_at_pickup_goes_ready_then_collected_and_is_paid_at_the_counter(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "c1", {ids.jacket: 1}, payment_method="at_pickup")
    shop.run(orders.mark_ready, placed.reference, "staff:leeds")
    collected = shop.run(orders.mark_collected, placed.reference, "staff:leeds", now=NOW + timedelta(hours=3))
    assert collected.status == "collected" and collected.paid_at == NOW + timedelta(hours=3)


def test_cancel_releases_stock_once(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "c1", {ids.jacket: 2})
    first = shop.run(orders.cancel_order, placed.reference, "changed my mind", "shopper:web")
    assert (first.previous_status, first.already_cancelled, first.refund) == ("pending_payment", False, None)
    again = shop.run(orders.cancel_order, placed.reference, "changed my mind", "shopper:web")
    assert again.already_cancelled
    assert stock(shop, ids.leeds, ids.jacket) == (5, 0)
    summary = shop.run(orders.order_status, placed.reference)
    assert (summary.status, summary.cancel_reason) == ("cancelled", "changed my mind")
    with shop.uow() as uow:
        assert uow.session.scalars(select(Timer.fired_at)).one() is not None  # nothing left to expire
        actions = uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["order_placed", "order_cancelled"]


def test_collected_orders_cannot_be_cancelled(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "c1", {ids.jacket: 1}, payment_method="at_pickup")
    shop.run(orders.mark_ready, placed.reference, "staff")
    shop.run(orders.mark_collected, placed.reference, "staff")
    with pytest.raises(InvalidTransition):
        shop.run(orders.cancel_order, placed.reference, "too late", "shopper")


def test_expired_orders_cannot_be_paid(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "c1", {ids.jacket: 1})
    shop.run(hold_expiry.expire_due_holds, NOW + timedelta(hours=3))
    with pytest.raises(InvalidTransition):
        shop.run(orders.mark_paid, placed.reference)
    assert shop.run(orders.order_status, placed.reference).status == OrderStatus.EXPIRED.value


def test_unknown_reference(shop) -> None:
    seed_small_shop(shop)
    with pytest.raises(OrderNotFound):
        shop.run(orders.order_status, "FS-AAAAAA")


def test_orders_for_conversation_newest_first(shop) -> None:
    ids = seed_small_shop(shop)
    first = place(shop, "c1", {ids.jacket: 1}, now=NOW)
    second = place(shop, "c1", {ids.fleece: 1}, now=NOW + timedelta(minutes=1))
    place(shop, "c2", {ids.fleece: 1})
    assert [o.reference for o in shop.run(orders.orders_for_conversation, "c1")] == [second.reference, first.reference]


# --- ownership --------------------------------------------------------------------------------------


def test_owner_reads_the_order_and_others_do_not(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "web:abc", {ids.jacket: 1}, customer_id=None)
    assert shop.run(order_access.get_order_for, placed.reference.lower(), "web:abc").reference == placed.reference
    with pytest.raises(NotYourOrder) as caught:
        shop.run(order_access.get_order_for, placed.reference, "sms:+447700900999")
    assert caught.value.can_verify


def test_the_same_customer_on_another_channel_reads_the_order(shop) -> None:
    from bot.kernel.models import Customer

    ids = seed_small_shop(shop)
    with shop.uow() as uow:
        customer = Customer(display_name="Ana", phone="+447700900123")
        uow.session.add(customer)
        uow.commit()
        customer_id = customer.id
    placed = place(shop, "web:abc", {ids.jacket: 1}, customer_id=customer_id)
    assert shop.run(order_access.get_order_for, placed.reference, "sms:x", customer_id).reference == placed.reference
    with pytest.raises(NotYourOrder):
        shop.run(order_access.get_order_for, placed.reference, "sms:x", customer_id + 1)


def test_a_code_to_the_order_phone_proves_ownership(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "web:abc", {ids.jacket: 1}, contact_phone="+447700900123")
    started = shop.run(order_access.start_order_verification, placed.reference, "telegram:42", now=NOW)
    assert started.send_to == "+447700900123"
    assert started.masked_phone.endswith("0123") and "+44770" not in started.masked_phone
    assert re.fullmatch(r"\d{6}", started.code)
    with shop.uow() as uow:
        stored = uow.session.scalars(select(OneTimeCode)).one()
        assert started.code not in stored.code_hash and stored.phone == "+447700900123"

    wrong = "000000" if started.code != "000000" else "111111"
    with pytest.raises(VerificationFailed) as caught:
        shop.run(order_access.confirm_order_verification, placed.reference, "telegram:42", wrong, now=NOW)
    assert caught.value.attempts_left == 4
    # A code is bound to the conversation that asked for it.
    with pytest.raises(VerificationExpired):
        shop.run(order_access.confirm_order_verification, placed.reference, "telegram:99", started.code, now=NOW)

    summary = shop.run(order_access.confirm_order_verification, placed.reference, "telegram:42", started.code, now=NOW)
    assert summary.reference == placed.reference
    assert shop.run(order_access.get_order_for, placed.reference, "telegram:42", now=NOW + timedelta(hours=1)).status == "pending_payment"
    with pytest.raises(NotYourOrder):
        shop.run(order_access.get_order_for, placed.reference, "telegram:42", now=NOW + timedelta(hours=25))
    with pytest.raises(VerificationExpired):  # used codes cannot be replayed
        shop.run(order_access.confirm_order_verification, placed.reference, "telegram:42", started.code, now=NOW)


def test_codes_expire_and_burn_after_five_wrong_tries(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "web:abc", {ids.jacket: 1})
    started = shop.run(order_access.start_order_verification, placed.reference, "sms:1", now=NOW)
    with pytest.raises(VerificationExpired):
        shop.run(order_access.confirm_order_verification, placed.reference, "sms:1", started.code, now=NOW + timedelta(minutes=11))

    started = shop.run(order_access.start_order_verification, placed.reference, "sms:1", now=NOW)
    wrong = "000000" if started.code != "000000" else "111111"
    for expected_left in (4, 3, 2, 1):
        with pytest.raises(VerificationFailed) as caught:
            shop.run(order_access.confirm_order_verification, placed.reference, "sms:1", wrong, now=NOW)
        assert caught.value.attempts_left == expected_left
    with pytest.raises(TooManyAttempts):
        shop.run(order_access.confirm_order_verification, placed.reference, "sms:1", wrong, now=NOW)
    with pytest.raises(TooManyAttempts):  # even the right code is refused now
        shop.run(order_access.confirm_order_verification, placed.reference, "sms:1", started.code, now=NOW)


def test_code_requests_are_rate_limited(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "web:abc", {ids.jacket: 1})
    for _ in range(5):
        shop.run(order_access.start_order_verification, placed.reference, "sms:1", now=NOW)
    with pytest.raises(TooManyAttempts):
        shop.run(order_access.start_order_verification, placed.reference, "sms:2", now=NOW + timedelta(minutes=30))
    assert shop.run(order_access.start_order_verification, placed.reference, "sms:2", now=NOW + timedelta(minutes=61)).code


def test_no_phone_no_code(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "web:abc", {ids.jacket: 1}, contact_phone=None)
    with pytest.raises(VerificationUnavailable):
        shop.run(order_access.start_order_verification, placed.reference, "sms:1")
    with pytest.raises(NotYourOrder) as caught:
        shop.run(order_access.get_order_for, placed.reference, "sms:1")
    assert not caught.value.can_verify
