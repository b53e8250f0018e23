"""Click-and-collect orders: placing (with an all-or-nothing stock hold), paying, cancelling, expiring.

Stock is held with conditional UPDATEs (`reserved = reserved + q WHERE available >= q`), so no number
of concurrent shoppers can drive availability below zero on SQLite or PostgreSQL. Every status change
is a conditional UPDATE on the status it was read with, so two processes racing on one order (a
payment webhook and the expiry sweep, say) cannot both win.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from bot.kernel import audit, clock
from bot.identity.customers import customer_of_conversation
from bot.kernel.models import Inventory, Order, PaymentLink, Product, Store, Timer, Variant
from bot.kernel.unit_of_work import UnitOfWork, read_only
from bot.ordering.cart import CartLineView
from bot.ordering.rules import HoldPolicy, InvalidTransition, NotYourOrder, OrderNotFound, OrderStatus, TransitionVerdict, judge_transition, normalise_reference, pickup_codes_match


log = logging.getLogger(__name__)

HOLD_EXPIRY_TIMER = "hold_expiry"
MAX_TIMER_ATTEMPTS = 5


# --- results ----------------------------------------------------------------------------------------


# An order line reads exactly like a cart line: product, options, quantity and prices.
OrderLineView = CartLineView


@dataclass(frozen=True)
class OrderSummary:
    reference: str
    status: str
    payment_method: str
    store_id: str
    store_name: str
    total_minor: int
    currency: str
    pickup_code: str
    hold_expires_at: datetime
    channel: str
    conversation_id: str
    customer_id: int | None
    contact_phone: str | None
    lines: tuple[OrderLineView, ...]
    created_at: datetime
    paid_at: datetime | None = None
    ready_at: datetime | None = None
    collected_at: datetime | None = None
    cancel_reason: str | None = None
    store_timezone: str = "Europe/London"  # times told to the shopper are the store's local times
    store_locale: str = "en_GB"
    language: str | None = None  # the conversation's when it was placed; None on orders from before it was kept


# What place_order returns: the order as the shopper should now see it.
PlacedOrder = OrderSummary


@dataclass(frozen=True)
class RefundDue:
    """Money to hand back through the payment provider (the caller makes the provider call)."""

    order_reference: str
    provider: str
    provider_ref: str
    amount_minor: int
    currency: str
    reason: str


@dataclass(frozen=True)
class CancelledOrder:
    reference: str
    previous_status: str
    already_cancelled: bool
    refund: RefundDue | None
    conversation_id: str
    channel: str


@dataclass(frozen=True)
class ExpiredOrder:
    """An unpaid hold that ran out: who to tell, and where."""

    reference: str
    conversation_id: str
    channel: str
    customer_id: int | None
    contact_phone: str | None
    store_id: str


# --- helpers ----------------------------------------------------------------------------------------






def find_order(uow: UnitOfWork, reference: str) -> Order:
    """Loads an order by reference as typed ("fs 7k2m9q" works).

    Raises:
        OrderNotFound: no such order.
    """
    order = uow.session.scalars(select(Order).where(Order.reference == normalise_reference(reference))).first()
    if order is None:
        raise OrderNotFound(reference)
    return order


def summarise(uow: UnitOfWork, order: Order) -> OrderSummary:
    """The order with its lines' names and options, for the dialogue and the dashboard."""
    skus = [line.sku for line in order.lines]
    described = {
        variant.sku: (product.name, variant.colour or "", variant.size or "")
        for variant, product in uow.session.execute(
            select(Variant, Product).join(Product, Product.id == Variant.product_id).where(Variant.sku.in_(skus))
        ).all()
    }
    store = uow.session.get(Store, order.store_id)
    lines = tuple(
        OrderLineView(
            sku=line.sku,
            name=described.get(line.sku, (line.sku, "", ""))[0],
            colour=described.get(line.sku, ("", "", ""))[1],
            size=described.get(line.sku, ("", "", ""))[2],
            quantity=line.quantity,
            unit_price_minor=line.unit_price_minor,
            line_total_minor=line.unit_price_minor * line.quantity,
            currency=order.currency,
        )
        for line in sorted(order.lines, key=lambda line: line.id)
    )
    return OrderSummary(
        reference=order.reference,
        status=order.status,
        payment_method=order.payment_method,
        store_id=order.store_id,
        store_name=store.name if store else order.store_id,
        total_minor=order.total_minor,
        currency=order.currency,
        pickup_code=order.pickup_code,
        hold_expires_at=clock.as_utc(order.hold_expires_at),
        channel=order.channel,
        conversation_id=order.conversation_id,
        customer_id=order.customer_id,
        contact_phone=order.contact_phone,
        lines=lines,
        created_at=clock.as_utc(order.created_at),
        paid_at=clock.as_utc(order.paid_at),
        ready_at=clock.as_utc(order.ready_at),
        collected_at=clock.as_utc(order.collected_at),
        cancel_reason=order.cancel_reason,
        store_timezone=store.timezone if store else "Europe/London",
        store_locale=store.locale if store else "en_GB",
        language=order.language,
    )


def move_order(uow: UnitOfWork, order: Order, target: OrderStatus, now: datetime, **values: Any) -> str | None:
    """Moves an order to `target` if the state machine allows it, racing safely with other writers.

    The UPDATE is conditional on the status this transaction read; if another process moved the
    order meanwhile, the order is re-read and the decision made again.

    Returns:
        The status this call moved the order from, or None if it was already in `target`.

    Raises:
        InvalidTransition: the move would go backwards or skip a step.
    """
    while True:
        verdict = judge_transition(order.status, target, order.payment_method)
        if verdict is TransitionVerdict.ALREADY_DONE:
            return None
        if verdict is TransitionVerdict.REFUSED:
            raise InvalidTransition(order.reference, order.status, target.value)
        previous = order.status
        result = uow.session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status == previous)
            .values(status=target.value, updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        uow.session.refresh(order)
        if result.rowcount == 1:
            if target is not OrderStatus.PENDING_PAYMENT:
                _settle_hold_timer(uow, order, now)
            return previous


def _settle_hold_timer(uow: UnitOfWork, order: Order, now: datetime) -> None:
    """Once an order leaves pending_payment its expiry timer has nothing left to do."""
    uow.session.execute(
        update(Timer)
        .where(Timer.kind == HOLD_EXPIRY_TIMER, Timer.subject == str(order.id), Timer.fired_at.is_(None))
        .values(fired_at=now)
        .execution_options(synchronize_session=False)
    )


def release_stock(uow: UnitOfWork, order: Order, *, collected: bool = False) -> None:
    """Gives an order's held units back (or, when collected, takes them off the shelf for good)."""
    for line in sorted(order.lines, key=lambda line: line.sku):  # one lock order everywhere: no deadlocks
        values: dict[str, Any] = {"reserved": Inventory.reserved - line.quantity}
        if collected:
            values["on_hand"] = Inventory.on_hand - line.quantity
        result = uow.session.execute(
            update(Inventory)
            .where(
                Inventory.store_id == order.store_id,
                Inventory.sku == line.sku,
                Inventory.reserved >= line.quantity,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            log.error("inventory for %s at %s held less than order %s reserved", line.sku, order.store_id, order.reference)


def _paid_link(uow: UnitOfWork, order: Order) -> PaymentLink | None:
    return uow.session.scalars(
        select(PaymentLink).where(PaymentLink.order_id == order.id, PaymentLink.status == "paid").order_by(PaymentLink.id)
    ).first()


def refund_for(link: PaymentLink, order_reference: str, reason: str) -> RefundDue:
    return RefundDue(
        order_reference=order_reference,
        provider=link.provider,
        provider_ref=link.provider_ref,
        amount_minor=link.amount_minor,
        currency=link.currency,
        reason=reason,
    )


# --- placing ----------------------------------------------------------------------------------------


def record_payment(uow: UnitOfWork, order: Order, now: datetime, hold_policy: HoldPolicy) -> bool:
    """Marks a pending order paid and extends its hold for collection (no commit).

    Returns:
        True if this call marked it paid, False if it was already paid.

    Raises:
        InvalidTransition: the order expired, was cancelled, or is otherwise past payment.
    """
    moved_from = move_order(
        uow, order, OrderStatus.PAID, now, paid_at=now, hold_expires_at=now + timedelta(hours=hold_policy.paid_hours)
    )
    return moved_from is not None


def mark_paid(
    uow: UnitOfWork, order_ref: str, hold_policy: HoldPolicy = HoldPolicy(), now: datetime | None = None, actor: str = "system"
) -> OrderSummary:
    """Records that a pending order has been paid (idempotent: paid, ready or collected stay as they are).

    Raises:
        OrderNotFound; InvalidTransition: the order expired or was cancelled (refund instead).
    """
    now = now or clock.now()
    order = find_order(uow, order_ref)
    if order.status in (OrderStatus.READY.value, OrderStatus.COLLECTED.value):
        return summarise(uow, order)
    if record_payment(uow, order, now, hold_policy):
        audit.record(uow, actor=actor, action="order_paid", now=now, order=order)
    uow.commit()
    return summarise(uow, order)


def mark_ready(uow: UnitOfWork, reference: str, actor: str, now: datetime | None = None) -> OrderSummary:
    """Store staff have picked the order: the shopper can come (paid or pay-at-pickup orders only).

    Raises:
        OrderNotFound; InvalidTransition: unpaid link order, or already collected/cancelled/expired.
    """
    now = now or clock.now()
    order = find_order(uow, reference)
    if move_order(uow, order, OrderStatus.READY, now, ready_at=now) is not None:
        audit.record(uow, actor=actor, action="order_ready", now=now, order=order)
    uow.commit()
    return summarise(uow, order)


def mark_collected(
    uow: UnitOfWork, reference: str, actor: str, pickup_code: str | None = None, now: datetime | None = None
) -> OrderSummary:
    """The shopper took the goods: the held units leave the store's stock.

    Raises:
        OrderNotFound; InvalidTransition: not ready yet; NotYourOrder: wrong pickup code given.
    """
    now = now or clock.now()
    order = find_order(uow, reference)
    if pickup_code is not None and not pickup_codes_match(order.pickup_code, pickup_code):
        raise NotYourOrder(order.reference, can_verify=False)
    values: dict[str, Any] = {"collected_at": now}
    if order.paid_at is None:
        values["paid_at"] = now  # pay-at-pickup: paid at the counter
    if move_order(uow, order, OrderStatus.COLLECTED, now, **values) is not None:
        release_stock(uow, order, collected=True)
        audit.record(uow, actor=actor, action="order_collected", now=now, order=order)
    uow.commit()
    return summarise(uow, order)


def cancel_order(uow: UnitOfWork, reference: str, reason: str, actor: str, now: datetime | None = None) -> CancelledOrder:
    """Cancels an order that has not been collected, releasing its stock.

    A paid order's payment must go back: the result carries a `RefundDue` that the caller passes to
    the payment provider (see `bot.ordering.pay_links.execute_refund`). Cancelling twice is a no-op.

    Raises:
        OrderNotFound; InvalidTransition: the order was collected or has expired.
    """
    now = now or clock.now()
    order = find_order(uow, reference)
    moved_from = move_order(uow, order, OrderStatus.CANCELLED, now, cancel_reason=reason[:240])
    refund = None
    if moved_from is not None:
        release_stock(uow, order)
        paid_link = _paid_link(uow, order)
        if paid_link is not None:
            refund = refund_for(paid_link, order.reference, "order_cancelled")
        audit.record(uow, actor=actor, action="order_cancelled", now=now, order=order, reason=reason[:240], previous_status=moved_from, refund=refund is not None)
    uow.commit()
    return CancelledOrder(
        reference=order.reference,
        previous_status=moved_from or order.status,
        already_cancelled=moved_from is None,
        refund=refund,
        conversation_id=order.conversation_id,
        channel=order.channel,
    )


# --- the expiry sweep -------------------------------------------------------------------------------


@read_only
def order_status(uow: UnitOfWork, reference: str) -> OrderSummary:
    """The order as it stands (no ownership check: for staff and internal callers).

    Raises:
        OrderNotFound.
    """
    return summarise(uow, find_order(uow, reference))


@read_only
def order_json(order: OrderSummary) -> dict[str, Any]:
    """An order as JSON, for the store API and the agent console alike (the pickup code is never in it:
    the shopper shows it at the counter)."""
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "reference": order.reference,
        "status": order.status,
        "payment_method": order.payment_method,
        "store_id": order.store_id,
        "store_name": order.store_name,
        "total_minor": order.total_minor,
        "currency": order.currency,
        "pickup_deadline": iso(order.hold_expires_at),
        "channel": order.channel,
        "contact_phone": order.contact_phone,
        "created_at": iso(order.created_at),
        "paid_at": iso(order.paid_at),
        "ready_at": iso(order.ready_at),
        "collected_at": iso(order.collected_at),
        "cancel_reason": order.cancel_reason,
        "lines": [
            {"sku": line.sku, "name": line.name, "colour": line.colour, "size": line.size, "quantity": line.quantity}
            for line in order.lines
        ],
    }


def orders_for_conversation(uow: UnitOfWork, conversation_id: str) -> list[OrderSummary]:
    """Orders of this conversation's shopper, newest first: placed here, or by the same customer on another channel."""
    customer_id = customer_of_conversation(uow.session, conversation_id)
    mine = Order.conversation_id == conversation_id
    if customer_id is not None:
        mine = or_(mine, Order.customer_id == customer_id)
    orders = uow.session.scalars(select(Order).where(mine).order_by(Order.created_at.desc(), Order.id.desc())).all()
    return [summarise(uow, order) for order in orders]
