"""The expiry sweep: unpaid holds past their time release their stock, each with its shopper's notice queued in the
same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from bot.kernel import audit, clock
from bot.kernel.models import Order, PaymentLink, Timer
from bot.kernel.timers import claim_due_timer, note_timer_failure
from bot.kernel.unit_of_work import UnitOfWork
from bot.ordering.notices import HOLD_EXPIRED, queue_notice
from bot.ordering.orders import (
    ExpiredOrder,
    HOLD_EXPIRY_TIMER,
    MAX_TIMER_ATTEMPTS,
    log,
    move_order,
    release_stock,
)
from bot.ordering.rules import OrderStatus


def _expire_one(uow: UnitOfWork, timer: Timer, now: datetime) -> ExpiredOrder | None:
    order = uow.session.get(Order, int(timer.subject), populate_existing=True) if timer.subject.isdigit() else None
    if order is None or order.status != OrderStatus.PENDING_PAYMENT.value:
        return None  # paid, cancelled or gone meanwhile: nothing to release
    if move_order(uow, order, OrderStatus.EXPIRED, now) is None:
        return None
    release_stock(uow, order)
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

    Each expiry queues its shopper's notice in the same transaction (`bot.ordering.notices`).

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
