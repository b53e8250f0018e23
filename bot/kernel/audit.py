"""The audit log: one row for each thing someone may have to answer for later.

Who (`actor`, e.g. "agent:3", "store_api:ab12", "system:payments"), which store, what (`action`),
when, and details. One helper with keyword arguments, so no caller can swap the actor for the action;
it adds the row to the caller's transaction and never commits, so the row lands with the change it
describes or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.kernel import clock
from bot.kernel.models import AuditEntry, Order

if TYPE_CHECKING:
    from bot.kernel.unit_of_work import UnitOfWork


def record(
    uow: "UnitOfWork",
    *,
    actor: str,
    action: str,
    now: datetime | None = None,
    store_id: str | None = None,
    order: Order | None = None,
    **detail: Any,
) -> None:
    """Adds one audit row; about an `order`, the row carries its store and its reference."""
    if order is not None:
        store_id = store_id or order.store_id
        detail = {"order": order.reference, **detail}
    uow.session.add(AuditEntry(actor=actor, store_id=store_id, action=action, detail=detail, at=now or clock.now()))
