"""Pickup alerts: "your order is ready", the "still waiting" reminder and the last notice before the hold lapses.

Marking an order ready schedules three durable timers in the same transaction as the status change:

* "ready_alert" due at once,
* "pickup_reminder" due `remind_after_hours` later (not collected yet),
* "hold_ending" due `last_notice_hours` before `hold_expires_at`.

Timers are unique per (kind, order reference), so a double click, a retried API call or two replicas
marking the same order ready schedule one alert. They are shopper notices like any other and are
delivered by the notice outbox (`bot.ordering.notices`): claimed with a lease, pushed through Rasa,
retried with backoff, shown once. This path also refuses, and records why, for an opted-out phone,
both when scheduling and when sending (the outbox skips an alert whose order is no longer ready).
Attempts and the last error stay on the timer row for the store dashboard.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.kernel import audit, clock
from bot.kernel.config import Settings
from bot.catalog.hours import DayHours, local_now
from bot.ordering.rules import OrderStatus
from bot.kernel.models import Order, Timer
from bot.ordering.notices import (
    ALERT_KINDS,
    HOLD_ENDING,
    OPTED_OUT_NOTE,
    PICKUP_REMINDER,
    READY_ALERT,
    DeliveryPolicy,
    mask_phone,
    opted_out_phone,
)
from bot.ordering.orders import OrderSummary, find_order, mark_ready
from bot.catalog.stores import opening_hours, store_details
from bot.kernel.timers import schedule_timer
from bot.kernel.unit_of_work import UnitOfWork, read_only

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class AlertPolicy(DeliveryPolicy):
    """When reminders go out (and, inherited, how failed sends are retried).

    Attributes:
        remind_after_hours: a ready order not collected after this long gets a reminder.
        last_notice_hours: the last notice goes this long before the hold lapses.
    """

    remind_after_hours: float = 24
    last_notice_hours: float = 4

    def __post_init__(self) -> None:
        if self.remind_after_hours <= 0 or self.last_notice_hours <= 0 or self.max_attempts < 1:
            raise ValueError("reminder hours must be positive and max_attempts at least 1")

    @classmethod
    def from_settings(cls, settings: Settings) -> "AlertPolicy":
        """PICKUP_REMINDER_HOURS and HOLD_ENDING_NOTICE_HOURS (Settings), with the notice outbox's lease and retry."""
        delivery = DeliveryPolicy.from_settings(settings)
        return cls(
            remind_after_hours=float(settings.pickup_reminder_hours),
            last_notice_hours=float(settings.hold_ending_notice_hours),
            lease=delivery.lease,
            first_retry=delivery.first_retry,
        )


@dataclass(frozen=True)
class ReadyOutcome:
    """The order after marking it ready, and whether this call scheduled its alert."""

    order: OrderSummary
    alert_scheduled: bool
    suppressed_reason: str | None = None


@dataclass(frozen=True)
class PickupNotice:
    """Everything a notice about an order says (a pickup alert, a payment received or failed, a refund, an
    expired hold), read at the moment it is composed."""

    reference: str
    status: str
    pickup_code: str
    store_name: str
    address: str
    postcode: str
    today: date
    hours_today: DayHours
    held_until: datetime  # in the store's time zone
    amount_due_minor: int | None
    total_minor: int
    currency: str
    locale: str
    language: str | None = None  # the order's (the conversation's when placed): for a conversation that forgot its own

    def as_entity(self) -> str:
        """The notice as the trigger_intent entity that carries it to the conversation (JSON)."""
        facts = asdict(self)
        facts["today"] = self.today.isoformat()
        facts["hours_today"]["day"] = self.hours_today.day.isoformat()
        facts["held_until"] = self.held_until.isoformat()
        return json.dumps(facts, separators=(",", ":"))

    @classmethod
    def from_entity(cls, text: str) -> "PickupNotice":
        """Reads `as_entity`'s JSON back. Raises ValueError (or KeyError/TypeError) when it is not one."""
        facts = json.loads(text)
        hours = facts.pop("hours_today")
        return cls(
            **{
                **facts,
                "today": date.fromisoformat(facts["today"]),
                "held_until": datetime.fromisoformat(facts["held_until"]),
                "hours_today": DayHours(**{**hours, "day": date.fromisoformat(hours["day"])}),
            }
        )


def _schedule(uow: UnitOfWork, order: Order, now: datetime, policy: AlertPolicy) -> tuple[bool, str | None]:
    """Adds the order's alert timers (no commit); (ready alert newly scheduled?, why suppressed)."""
    phone = opted_out_phone(uow, order)
    note = OPTED_OUT_NOTE.format(phone=mask_phone(phone)) if phone else None
    settled = now if note else None
    hold_expires_at = clock.as_utc(order.hold_expires_at)
    last_notice_at = hold_expires_at - timedelta(hours=policy.last_notice_hours)
    reminder_at = now + timedelta(hours=policy.remind_after_hours)
    created = schedule_timer(uow, READY_ALERT, order.reference, now, fired_at=settled, last_error=note)
    if reminder_at < last_notice_at:  # otherwise the last notice says it all
        schedule_timer(uow, PICKUP_REMINDER, order.reference, reminder_at, fired_at=settled, last_error=note)
    if last_notice_at > now:  # a hold already ending soon is spelled out in the ready alert itself
        schedule_timer(uow, HOLD_ENDING, order.reference, last_notice_at, fired_at=settled, last_error=note)
    if created and note:
        audit.record(uow, actor="system:alerts", action="pickup_alert_suppressed", now=now, order=order, reason=note)
    return created and note is None, note


def mark_ready_and_alert(
    uow: UnitOfWork, reference: str, actor: str, now: datetime | None = None, policy: AlertPolicy = AlertPolicy()
) -> ReadyOutcome:
    """Marks an order ready and schedules its alert and reminders in the same transaction; commits.

    Calling it again for an order already ready changes nothing and schedules nothing.

    Raises:
        OrderNotFound; InvalidTransition: unpaid link order, or collected/cancelled/expired.
    """
    now = now or clock.now()
    order = find_order(uow, reference)
    if order.status != OrderStatus.READY.value:
        scheduled, note = _schedule(uow, order, now, policy)
    else:
        scheduled, note = False, None
    try:
        summary = mark_ready(uow, reference, actor, now)  # commits the timers with the status change
    except Exception:
        uow.rollback()
        raise
    return ReadyOutcome(summary, scheduled, note)


def schedule_missing_alerts(uow: UnitOfWork, now: datetime | None = None, policy: AlertPolicy = AlertPolicy()) -> int:
    """Safety net: schedules alerts for ready orders that have none (marked ready by another path).

    Returns:
        How many orders got timers.
    """
    now = now or clock.now()
    orders = uow.session.scalars(
        select(Order)
        .outerjoin(Timer, (Timer.kind == READY_ALERT) & (Timer.subject == Order.reference))
        .where(Order.status == OrderStatus.READY.value, Timer.id.is_(None))
        .limit(200)
    ).all()
    for order in orders:
        _schedule(uow, order, now, policy)
    uow.commit()
    return len(orders)


def pickup_notice(uow: UnitOfWork, reference: str, now: datetime | None = None) -> PickupNotice:
    """What an alert about the order says: code, store, today's hours there, and how long it is held.

    Raises:
        OrderNotFound.
    """
    return _notice_for(uow, find_order(uow, reference), now or clock.now())


def notice_facts(uow: UnitOfWork, kind: str, order: Order, now: datetime) -> str:
    """What a notice of any kind will say, read in the transaction that claims it (`due_notices(facts=...)`),
    so the conversation words it without reading the order again."""
    return _notice_for(uow, order, now).as_entity()


def _notice_for(uow: UnitOfWork, order: Order, now: datetime) -> PickupNotice:
    details = store_details(uow, order.store_id)
    local = local_now(details.timezone, now)
    return PickupNotice(
        reference=order.reference,
        status=order.status,
        pickup_code=order.pickup_code,
        store_name=details.store.name,
        address=details.address,
        postcode=details.postcode,
        today=local.date(),
        hours_today=opening_hours(uow, order.store_id, local.date()),
        held_until=local_now(details.timezone, clock.as_utc(order.hold_expires_at)),
        amount_due_minor=order.total_minor if order.paid_at is None else None,
        total_minor=order.total_minor,
        currency=order.currency,
        locale=details.locale,
        language=order.language,
    )


@dataclass(frozen=True)
class AlertStatus:
    """One alert timer as the dashboard shows it.

    `state` is "pending" (not due or not tried yet), "retrying" (failed, will be tried again),
    "sent" (handed to Rasa) or "not_sent" (given up, or refused with the reason in `last_error`).
    """

    order_reference: str
    kind: str
    due_at: datetime
    state: str
    attempts: int
    last_error: str | None


def _status(timer: Timer) -> AlertStatus:
    if timer.fired_at is None:
        state = "retrying" if timer.last_error else "pending"
    else:
        state = "not_sent" if timer.last_error else "sent"
    return AlertStatus(timer.subject, timer.kind, clock.as_utc(timer.due_at), state, int(timer.attempts), timer.last_error)


@read_only
def alert_problems(uow: UnitOfWork, store_id: str, limit: int = 50) -> list[AlertStatus]:
    """A store's alerts that failed at least once or were refused, newest first."""
    rows = uow.session.scalars(
        select(Timer)
        .join(Order, Order.reference == Timer.subject)
        .where(Order.store_id == store_id, Timer.kind.in_(ALERT_KINDS), Timer.last_error.is_not(None))
        .order_by(Timer.due_at.desc(), Timer.id.desc())
        .limit(limit)
    )
    return [_status(timer) for timer in rows]


def alert_timers(uow: UnitOfWork, reference: str) -> list[AlertStatus]:
    """Every alert timer of one order, soonest first (for the API, the dashboard and tests)."""
    rows = uow.session.scalars(
        select(Timer).where(Timer.subject == reference, Timer.kind.in_(ALERT_KINDS)).order_by(Timer.due_at, Timer.id)
    )
    return [_status(timer) for timer in rows]
