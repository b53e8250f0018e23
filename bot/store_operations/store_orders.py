"""Orders as a store sees them: only its own, listed, searched and moved on by its staff.

Every function takes the caller's store and refuses an order of another store (`WrongStore`), so
the API and the dashboard cannot forget the check. Status changes reuse `bot.ordering.orders`
(mark_ready via `pickup_alerts.mark_ready_and_alert`, mark_collected, cancel_order), which audit-log
them with the store actor.
"""

from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from bot.kernel import audit, clock
from bot.ordering.rules import NotYourOrder, OrderError, OrderStatus, normalise_reference
from bot.kernel.models import Order, Store
from bot.identity.customers import InvalidPhoneNumber, normalize_phone
from bot.ordering.orders import CancelledOrder, OrderSummary, cancel_order, find_order, mark_collected, summarise
from bot.ordering.pickup_alerts import AlertPolicy, ReadyOutcome, mark_ready_and_alert
from bot.kernel.unit_of_work import UnitOfWork, read_only

OPEN_STATUSES = (OrderStatus.PENDING_PAYMENT.value, OrderStatus.PAID.value, OrderStatus.READY.value)
ALL_STATUSES = tuple(status.value for status in OrderStatus)
MAX_LISTED = 500


class WrongStore(OrderError):
    """The order exists but belongs to another store."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"order {reference} belongs to another store")
        self.reference = reference


class UnknownStatus(OrderError):
    def __init__(self, status: str) -> None:
        super().__init__(f"unknown status {status!r}; use one of {', '.join(ALL_STATUSES)}")
        self.status = status


def _store_order(uow: UnitOfWork, store_id: str, reference: str) -> Order:
    order = find_order(uow, reference)
    if order.store_id != store_id:
        raise WrongStore(order.reference)
    return order


@read_only
def store_order(uow: UnitOfWork, store_id: str, reference: str) -> OrderSummary:
    """One order of this store.

    Raises:
        OrderNotFound; WrongStore.
    """
    return summarise(uow, _store_order(uow, store_id, reference))


@read_only
def list_store_orders(uow: UnitOfWork, store_id: str, statuses: tuple[str, ...] | None = None) -> list[OrderSummary]:
    """The store's orders in `statuses` (default: open ones), soonest pickup deadline first.

    Raises:
        UnknownStatus: a status that orders never have.
    """
    wanted = statuses or OPEN_STATUSES
    for status in wanted:
        if status not in ALL_STATUSES:
            raise UnknownStatus(status)
    orders = uow.session.scalars(
        select(Order)
        .where(Order.store_id == store_id, Order.status.in_(wanted))
        .order_by(Order.hold_expires_at, Order.id)
        .limit(MAX_LISTED)
    ).all()
    return [summarise(uow, order) for order in orders]


@read_only
def todays_orders(uow: UnitOfWork, store_id: str, now: datetime | None = None) -> list[OrderSummary]:
    """What the counter needs today: every open order, plus orders finished today (store's time zone)."""
    now = now or clock.now()
    store = uow.session.get(Store, store_id)
    zone = ZoneInfo(store.timezone if store else "UTC")
    local_midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    start = local_midnight.astimezone(timezone.utc)
    orders = uow.session.scalars(
        select(Order)
        .where(
            Order.store_id == store_id,
            or_(Order.status.in_(OPEN_STATUSES), Order.updated_at >= start, Order.created_at >= start),
        )
        .order_by(Order.hold_expires_at, Order.id)
        .limit(MAX_LISTED)
    ).all()
    return [summarise(uow, order) for order in orders]


@read_only
def search_store_orders(uow: UnitOfWork, store_id: str, query: str) -> list[OrderSummary]:
    """The store's orders matching a pickup code, an order reference or a phone number (any format)."""
    text = query.strip()
    if not text:
        return []
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    conditions = [Order.pickup_code == compact, Order.reference == normalise_reference(text)]
    try:
        conditions.append(Order.contact_phone == normalize_phone(text))
    except InvalidPhoneNumber:
        pass
    orders = uow.session.scalars(
        select(Order).where(Order.store_id == store_id, or_(*conditions)).order_by(Order.created_at.desc()).limit(50)
    ).all()
    return [summarise(uow, order) for order in orders]


def mark_store_order_ready(
    uow: UnitOfWork, store_id: str, reference: str, actor: str, now: datetime | None = None, policy: AlertPolicy = AlertPolicy()
) -> ReadyOutcome:
    """Marks one of the store's orders ready and schedules the shopper's alert (once per order).

    Raises:
        OrderNotFound; WrongStore; InvalidTransition.
    """
    order = _store_order(uow, store_id, reference)
    return mark_ready_and_alert(uow, order.reference, actor, now, policy)


def collect_store_order(
    uow: UnitOfWork, store_id: str, reference: str, pickup_code: str, actor: str, now: datetime | None = None
) -> OrderSummary:
    """Hands an order over after checking the shopper's pickup code; a wrong code is audit-logged.

    Raises:
        OrderNotFound; WrongStore; InvalidTransition: not ready; NotYourOrder: wrong or missing code.
    """
    now = now or clock.now()
    order = _store_order(uow, store_id, reference)
    try:
        if not pickup_code.strip():
            raise NotYourOrder(order.reference, can_verify=False)
        return mark_collected(uow, order.reference, actor, pickup_code=pickup_code, now=now)
    except NotYourOrder:
        uow.rollback()
        audit.record(uow, actor=actor, action="pickup_code_rejected", now=now, order=order)
        uow.commit()
        raise


def cancel_store_order(
    uow: UnitOfWork, store_id: str, reference: str, reason: str, actor: str, now: datetime | None = None
) -> CancelledOrder:
    """Cancels one of the store's orders with a reason (stock goes back; a paid order carries its refund).

    Raises:
        OrderNotFound; WrongStore; InvalidTransition; ValueError: no reason given.
    """
    if not reason.strip():
        raise ValueError("a cancellation needs a reason")
    order = _store_order(uow, store_id, reference)
    return cancel_order(uow, order.reference, reason.strip(), actor, now)
