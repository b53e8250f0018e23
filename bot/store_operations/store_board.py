"""The store dashboard's board: today's orders in tabs by status, with who is collecting and what is due.

Read-only. `board_version` is what the dashboard's live stream compares: it changes whenever an order
of the store or one of its alert problems changes, whoever changed it (shopper, payment webhook,
expiry sweeper, a colleague at another till).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bot.kernel.models import Customer, Order, Timer
from bot.ordering.orders import OrderSummary
from bot.ordering.pickup_alerts import ALERT_KINDS
from bot.store_operations.store_orders import search_store_orders, todays_orders
from bot.kernel.unit_of_work import UnitOfWork, read_only

# Tab key -> (title, statuses). Cancelled and expired orders have a tab of their own, never mixed in.
TABS: dict[str, tuple[str, tuple[str, ...]]] = {
    "prepare": ("To prepare", ("paid", "pending_payment")),
    "ready": ("Ready", ("ready",)),
    "collected": ("Collected", ("collected",)),
    "cancelled": ("Cancelled", ("cancelled", "expired")),
}
DEFAULT_TAB = "prepare"


@dataclass(frozen=True)
class BoardOrder:
    order: OrderSummary
    customer_name: str  # "" when the shopper never gave one

    @property
    def payment(self) -> tuple[str, str]:
        """(state, text): paid, due (at the counter), awaiting (an unpaid pay link) or none."""
        order = self.order
        if order.paid_at is not None:
            return "paid", "Paid"
        if order.status in ("cancelled", "expired"):
            return "none", "Not paid"
        if order.payment_method == "at_pickup":
            return "due", "Due at pickup"
        return "awaiting", "Awaiting online payment"


@dataclass(frozen=True)
class Board:
    tab: str
    query: str
    orders: list[BoardOrder]  # of the chosen tab (all tabs when searching)
    counts: dict[str, int]  # orders per tab


def tab_of(status: str) -> str:
    return next((key for key, (_title, statuses) in TABS.items() if status in statuses), DEFAULT_TAB)


@read_only
def store_board(uow: UnitOfWork, store_id: str, *, tab: str = DEFAULT_TAB, query: str = "", now: datetime | None = None) -> Board:
    """Today's orders of one store in the chosen tab, or every order matching `query` (pickup code,
    reference or phone), each with the customer's name."""
    tab = tab if tab in TABS else DEFAULT_TAB
    found = search_store_orders(uow, store_id, query) if query else todays_orders(uow, store_id, now)
    counts = {key: 0 for key in TABS}
    for order in found:
        counts[tab_of(order.status)] += 1
    shown = found if query else [order for order in found if tab_of(order.status) == tab]
    ids = {order.customer_id for order in shown if order.customer_id is not None}
    names = dict(uow.session.execute(select(Customer.id, Customer.display_name).where(Customer.id.in_(ids))).all()) if ids else {}
    return Board(tab, query, [BoardOrder(order, names.get(order.customer_id) or "") for order in shown], counts)


@read_only
def board_version(uow: UnitOfWork, store_id: str) -> str:
    """A fingerprint of everything the board shows for a store: it changes when any of it changes."""
    orders = uow.session.execute(
        select(func.count(Order.id), func.max(Order.updated_at)).where(Order.store_id == store_id)
    ).one()
    alerts = uow.session.execute(
        select(func.count(Timer.id), func.sum(Timer.attempts), func.max(Timer.fired_at))
        .join(Order, Order.reference == Timer.subject)
        .where(Order.store_id == store_id, Timer.kind.in_(ALERT_KINDS), Timer.last_error.is_not(None))
    ).one()
    return "|".join(str(part) for part in (*orders, *alerts))
