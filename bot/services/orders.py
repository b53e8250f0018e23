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

from sqlalchemy import delete, func, or_, select, update

from bot import audit, clock
from bot.domain.orders import (
    DEFAULT_REFERENCE_PREFIX,
    EmptyCart,
    HoldPolicy,
    InvalidTransition,
    MixedCurrencies,
    NotYourOrder,
    OrderNotFound,
    OrderStatus,
    OutOfStock,
    PaymentMethod,
    PaymentMethodNotOffered,
    TransitionVerdict,
    UnknownStore,
    judge_transition,
    new_order_reference,
    new_pickup_code,
    normalise_reference,
    pickup_codes_match,
)
from bot.models import CartLine, Inventory, Order, OrderLine, PaymentLink, Product, Store, Timer, Variant
from bot.services.cart import CartLineView, available_expression, basket_at_store
from bot.services.identity import customer_of_conversation
from bot.services.markets import prices_in
from bot.services.notices import HOLD_EXPIRED, queue_notice
from bot.services.timers import claim_due_timer, note_timer_failure
from bot.services.unit_of_work import UnitOfWork, read_only

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


def _release_stock(uow: UnitOfWork, order: Order, *, collected: bool = False) -> None:
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


def _unique_reference(uow: UnitOfWork, prefix: str) -> str:
    while True:
        reference = new_order_reference(prefix)
        if uow.session.scalar(select(func.count()).select_from(Order).where(Order.reference == reference)) == 0:
            return reference


def _reserve(uow: UnitOfWork, store_id: str, store_buffer: int, sku: str, quantity: int) -> None:
    """Holds `quantity` of `sku` at the store, or raises OutOfStock leaving the row untouched."""
    result = uow.session.execute(
        update(Inventory)
        .where(
            Inventory.store_id == store_id,
            Inventory.sku == sku,
            available_expression(store_buffer) >= quantity,
        )
        .values(reserved=Inventory.reserved + quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        return
    available = uow.session.scalar(
        select(available_expression(store_buffer)).where(Inventory.store_id == store_id, Inventory.sku == sku)
    )
    raise OutOfStock(sku, int(available or 0))


def place_order(
    uow: UnitOfWork,
    conversation_id: str,
    channel: str,
    store_id: str,
    payment_method: str,
    customer_id: int | None = None,
    contact_phone: str | None = None,
    now: datetime | None = None,
    hold_policy: HoldPolicy = HoldPolicy(),
    reference_prefix: str = DEFAULT_REFERENCE_PREFIX,
) -> PlacedOrder:
    """Turns the conversation's cart into an order at one store, holding every line's stock.

    The hold is all or nothing: if any line is short, nothing is reserved and the cart is kept.
    A pay-by-link order waits `hold_policy.unpaid_minutes` for payment; a pay-at-pickup order is
    held `hold_policy.paid_hours`. A durable timer ("hold_expiry", subject = order id) expires it.

    Raises:
        EmptyCart, UnknownStore, PaymentMethodNotOffered, MixedCurrencies,
        OutOfStock: `sku` and how many are `available` at that store.
    """
    now = now or clock.now()
    method = PaymentMethod(payment_method)
    basket = basket_at_store(uow, conversation_id, store_id)
    if basket is None:
        raise UnknownStore(store_id)
    if method is PaymentMethod.AT_PICKUP and not basket.pay_at_pickup:
        raise PaymentMethodNotOffered(store_id, method.value)
    if not basket.lines:
        raise EmptyCart()
    if customer_id is None:
        customer_id = basket.customer_id
    # Priced where it is collected: a Jakarta store sells at the Indonesian market's rupiah prices.
    in_market = prices_in(uow, basket.market_id, [line.sku for line in basket.lines])
    unit_prices = {line.sku: in_market.get(line.sku, line.unit_price_minor) for line in basket.lines}
    currencies = {basket.currency if line.sku in in_market else line.currency for line in basket.lines}
    if len(currencies) > 1:
        raise MixedCurrencies(currencies)

    by_sku = sorted(basket.lines, key=lambda line: line.sku)
    # A line already short in this read is refused without touching the inventory row: when many shoppers
    # race for the last units, the losers neither queue for the winners' row lock nor pay more round trips.
    # The conditional UPDATE in _reserve stays the guard against overselling.
    for line in by_sku:
        if line.available < line.quantity:
            uow.rollback()
            raise OutOfStock(line.sku, line.available)
    try:
        for line in by_sku:
            _reserve(uow, store_id, basket.safety_buffer, line.sku, line.quantity)
    except OutOfStock:
        uow.rollback()
        raise

    hold = timedelta(minutes=hold_policy.unpaid_minutes) if method is PaymentMethod.LINK else timedelta(hours=hold_policy.paid_hours)
    order = Order(
        reference=_unique_reference(uow, reference_prefix),
        customer_id=customer_id,
        store_id=store_id,
        status=OrderStatus.PENDING_PAYMENT.value,
        payment_method=method.value,
        currency=currencies.pop(),
        total_minor=sum(unit_prices[line.sku] * line.quantity for line in basket.lines),
        pickup_code=new_pickup_code(),
        hold_expires_at=now + hold,
        channel=channel,
        conversation_id=conversation_id,
        contact_phone=contact_phone,
        created_at=now,
        updated_at=now,
        lines=[
            OrderLine(sku=line.sku, quantity=line.quantity, unit_price_minor=unit_prices[line.sku])
            for line in basket.lines
        ],
    )
    uow.session.add(order)
    uow.session.flush()
    uow.session.add(Timer(kind=HOLD_EXPIRY_TIMER, subject=str(order.id), due_at=order.hold_expires_at))
    uow.session.execute(
        delete(CartLine)
        .where(CartLine.owner_key == basket.owner, CartLine.sku.in_([line.sku for line in basket.lines]))
        .execution_options(synchronize_session=False)
    )
    audit.record(
        uow, actor=f"shopper:{channel}", action="order_placed", now=now, order=order,
        payment_method=method.value, total_minor=order.total_minor,
    )
    uow.commit()
    return summarise(uow, order)


# --- status changes ---------------------------------------------------------------------------------


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
        _release_stock(uow, order, collected=True)
        audit.record(uow, actor=actor, action="order_collected", now=now, order=order)
    uow.commit()
    return summarise(uow, order)


def cancel_order(uow: UnitOfWork, reference: str, reason: str, actor: str, now: datetime | None = None) -> CancelledOrder:
    """Cancels an order that has not been collected, releasing its stock.

    A paid order's payment must go back: the result carries a `RefundDue` that the caller passes to
    the payment provider (see `bot.services.payments.execute_refund`). Cancelling twice is a no-op.

    Raises:
        OrderNotFound; InvalidTransition: the order was collected or has expired.
    """
    now = now or clock.now()
    order = find_order(uow, reference)
    moved_from = move_order(uow, order, OrderStatus.CANCELLED, now, cancel_reason=reason[:240])
    refund = None
    if moved_from is not None:
        _release_stock(uow, order)
        paid_link = _paid_link(uow, order)
        if paid_link is not None:
            refund = refund_for(paid_link, order.reference, "order_cancelled")
        audit.record(
            uow, actor=actor, action="order_cancelled", now=now, order=order,
            reason=reason[:240], previous_status=moved_from, refund=refund is not None,
        )
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


def _expire_one(uow: UnitOfWork, timer: Timer, now: datetime) -> ExpiredOrder | None:
    order = uow.session.get(Order, int(timer.subject), populate_existing=True) if timer.subject.isdigit() else None
    if order is None or order.status != OrderStatus.PENDING_PAYMENT.value:
        return None  # paid, cancelled or gone meanwhile: nothing to release
    if move_order(uow, order, OrderStatus.EXPIRED, now) is None:
        return None
    _release_stock(uow, order)
    uow.session.execute(
        update(PaymentLink)
        .where(PaymentLink.order_id == order.id, PaymentLink.status == "open")
        .values(status="expired", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record(uow, actor="system:sweeper", action="order_expired", now=now, order=order)
    # The shopper's notice commits with the expiry: a sweeper dying after this commit delays it, never drops it.
    queue_notice(uow, HOLD_EXPIRED, order.reference, now)
    return ExpiredOrder(
        reference=order.reference,
        conversation_id=order.conversation_id,
        channel=order.channel,
        customer_id=order.customer_id,
        contact_phone=order.contact_phone,
        store_id=order.store_id,
    )


def expire_due_holds(uow: UnitOfWork, now: datetime | None = None, limit: int = 100) -> list[ExpiredOrder]:
    """Expires unpaid orders whose hold ran out and gives their stock back.

    Each timer is claimed and handled in its own short transaction, so several sweepers (one per
    replica) can run at once: each hold is released exactly once, and a slow sweeper never blocks
    the others. A timer whose handling fails is retried on later sweeps up to MAX_TIMER_ATTEMPTS.

    Each expiry queues its shopper's notice in the same transaction (`bot.services.notices`).

    Returns:
        The orders this call expired.
    """
    now = now or clock.now()
    expired: list[ExpiredOrder] = []
    for _ in range(limit):
        timer = claim_due_timer(uow, (HOLD_EXPIRY_TIMER,), now)
        if timer is None:
            uow.rollback()
            break
        timer_id, attempts = timer.id, timer.attempts
        try:
            outcome = _expire_one(uow, timer, now)
            uow.commit()
        except Exception as error:  # noqa: BLE001 - one bad timer must not stop the sweep
            uow.rollback()
            log.exception("hold expiry timer %s failed", timer_id)
            note_timer_failure(
                uow, timer_id, attempts + 1, error, now,
                max_attempts=MAX_TIMER_ATTEMPTS, retry_in=timedelta(minutes=attempts + 1),
            )
            continue
        if outcome is not None:
            expired.append(outcome)
    return expired


# --- reading orders ---------------------------------------------------------------------------------


@read_only
def order_status(uow: UnitOfWork, reference: str) -> OrderSummary:
    """The order as it stands (no ownership check: for staff and internal callers).

    Raises:
        OrderNotFound.
    """
    return summarise(uow, find_order(uow, reference))


@read_only
def orders_for_conversation(uow: UnitOfWork, conversation_id: str) -> list[OrderSummary]:
    """Orders of this conversation's shopper, newest first: placed here, or by the same customer on another channel."""
    customer_id = customer_of_conversation(uow.session, conversation_id)
    mine = Order.conversation_id == conversation_id
    if customer_id is not None:
        mine = or_(mine, Order.customer_id == customer_id)
    orders = uow.session.scalars(select(Order).where(mine).order_by(Order.created_at.desc(), Order.id.desc())).all()
    return [summarise(uow, order) for order in orders]
