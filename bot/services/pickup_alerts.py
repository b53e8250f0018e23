"""Pickup alerts: "your order is ready", the "still waiting" reminder and the last notice before the hold lapses.

Marking an order ready schedules three durable timers in the same transaction as the status change:

* "ready_alert" due at once,
* "pickup_reminder" due `remind_after_hours` later (not collected yet),
* "hold_ending" due `last_notice_hours` before `hold_expires_at`.

Timers are unique per (kind, order reference), so a double click, a retried API call or two replicas
marking the same order ready schedule one alert. `due_alerts` claims due timers with a lease (see
`bot.services.timers`): one sweeper sends each alert; a sweeper that dies mid-send leaves it to be
taken again when the lease runs out. Sends go through Rasa (`trigger_intent` with an EXTERNAL_ intent)
so the conversation records them and the channel output layer applies opt-out and window rules.
This path also refuses, and records why, for an opted-out phone, both when scheduling and when sending.
Failed sends are retried with exponential backoff; attempts and the last error stay on the timer row
for the store dashboard.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select

from bot.channels.types import PHONE_CHANNELS
from bot.domain.hours import DayHours, local_now
from bot.domain.orders import OrderStatus
from bot.models import AuditEntry, Order, Timer
from bot.services.messaging import is_opted_out
from bot.services.orders import OrderSummary, as_utc, find_order, mark_ready
from bot.services.stores import opening_hours, store_details
from bot.services.timers import claim_due_timer, exponential_backoff, note_timer_failure, schedule_timer, settle_timer
from bot.services.unit_of_work import UnitOfWork, read_only

if TYPE_CHECKING:
    from bot.shop import Shop

log = logging.getLogger(__name__)

READY_ALERT = "ready_alert"
PICKUP_REMINDER = "pickup_reminder"
HOLD_ENDING = "hold_ending"
ALERT_KINDS = (READY_ALERT, PICKUP_REMINDER, HOLD_ENDING)
ALERT_INTENTS = {
    READY_ALERT: "EXTERNAL_order_ready",
    PICKUP_REMINDER: "EXTERNAL_pickup_reminder",
    HOLD_ENDING: "EXTERNAL_hold_ending",
}
KIND_BY_INTENT = {intent: kind for kind, intent in ALERT_INTENTS.items()}
# Orders record where they came from; Rasa names the web chat's input channel "webchat".
RASA_CHANNEL_NAMES = {"web": "webchat"}
OPTED_OUT_NOTE = "not sent: {phone} opted out (STOP)"


@dataclass(frozen=True)
class AlertPolicy:
    """When reminders go out and how failed sends are retried.

    Attributes:
        remind_after_hours: a ready order not collected after this long gets a reminder.
        last_notice_hours: the last notice goes this long before the hold lapses.
        max_attempts: sends tried at most this many times before giving up (the dashboard shows it).
        first_retry: wait before the first retry; doubles each time up to `max_retry`.
        max_retry: the longest wait between retries.
        lease: how long a claimed alert is reserved for its sweeper (longer than a Rasa call may take).
    """

    remind_after_hours: float = 24
    last_notice_hours: float = 4
    max_attempts: int = 6
    first_retry: timedelta = timedelta(seconds=30)
    max_retry: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.remind_after_hours <= 0 or self.last_notice_hours <= 0 or self.max_attempts < 1:
            raise ValueError("reminder hours must be positive and max_attempts at least 1")

    @classmethod
    def from_settings(cls, settings: object) -> "AlertPolicy":
        """Reads `pickup_reminder_hours` and `hold_ending_notice_hours` from Settings when it has them."""
        return cls(
            remind_after_hours=float(getattr(settings, "pickup_reminder_hours", cls.remind_after_hours)),
            last_notice_hours=float(getattr(settings, "hold_ending_notice_hours", cls.last_notice_hours)),
        )


@dataclass(frozen=True)
class ReadyOutcome:
    """The order after marking it ready, and whether this call scheduled its alert."""

    order: OrderSummary
    alert_scheduled: bool
    suppressed_reason: str | None = None


@dataclass(frozen=True)
class DueAlert:
    """An alert claimed by this sweeper: send it, then record the result."""

    timer_id: int
    kind: str
    intent: str
    order_reference: str
    conversation_id: str
    channel: str
    attempt: int


@dataclass(frozen=True)
class PickupNotice:
    """Everything an alert about an order says, read at the moment it is composed."""

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
    currency: str
    locale: str


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    given_up: list[str] = field(default_factory=list)


class TriggersIntents(Protocol):
    async def trigger_intent(
        self, conversation_id: str, intent: str, entities: dict[str, Any] | None = None, output_channel: str = "latest"
    ) -> dict[str, Any]: ...


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _audit(uow: UnitOfWork, order: Order, action: str, now: datetime, actor: str = "system:alerts", **detail: Any) -> None:
    uow.session.add(
        AuditEntry(actor=actor, store_id=order.store_id, action=action, detail={"order": order.reference, **detail}, at=now)
    )


def _mask(phone: str) -> str:
    return f"{'•' * max(len(phone) - 4, 0)}{phone[-4:]}"


def opted_out_phone(uow: UnitOfWork, order: Order) -> str | None:
    """The phone an alert for `order` would reach if it has opted out (SMS/WhatsApp orders), else None."""
    if order.channel not in PHONE_CHANNELS:
        return None
    _channel, _sep, address = order.conversation_id.partition(":")
    for phone in dict.fromkeys(p for p in (address.removeprefix("whatsapp:"), order.contact_phone) if p):
        if is_opted_out(uow, phone):
            return phone
    return None


def _schedule(uow: UnitOfWork, order: Order, now: datetime, policy: AlertPolicy) -> tuple[bool, str | None]:
    """Adds the order's alert timers (no commit); (ready alert newly scheduled?, why suppressed)."""
    phone = opted_out_phone(uow, order)
    note = OPTED_OUT_NOTE.format(phone=_mask(phone)) if phone else None
    settled = now if note else None
    hold_expires_at = as_utc(order.hold_expires_at)
    last_notice_at = hold_expires_at - timedelta(hours=policy.last_notice_hours)
    reminder_at = now + timedelta(hours=policy.remind_after_hours)
    created = schedule_timer(uow, READY_ALERT, order.reference, now, fired_at=settled, last_error=note)
    if reminder_at < last_notice_at:  # otherwise the last notice says it all
        schedule_timer(uow, PICKUP_REMINDER, order.reference, reminder_at, fired_at=settled, last_error=note)
    if last_notice_at > now:  # a hold already ending soon is spelled out in the ready alert itself
        schedule_timer(uow, HOLD_ENDING, order.reference, last_notice_at, fired_at=settled, last_error=note)
    if created and note:
        _audit(uow, order, "pickup_alert_suppressed", now, reason=note)
    return created and note is None, note


def mark_ready_and_alert(
    uow: UnitOfWork, reference: str, actor: str, now: datetime | None = None, policy: AlertPolicy = AlertPolicy()
) -> ReadyOutcome:
    """Marks an order ready and schedules its alert and reminders in the same transaction; commits.

    Calling it again for an order already ready changes nothing and schedules nothing.

    Raises:
        OrderNotFound; InvalidTransition: unpaid link order, or collected/cancelled/expired.
    """
    now = now or _now()
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
    now = now or _now()
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


def _skip_reason(uow: UnitOfWork, order: Order | None) -> str | None:
    if order is None:
        return "skipped: the order no longer exists"
    if order.status != OrderStatus.READY.value:
        return f"skipped: the order is {order.status}"
    phone = opted_out_phone(uow, order)
    return OPTED_OUT_NOTE.format(phone=_mask(phone)) if phone else None


def due_alerts(uow: UnitOfWork, now: datetime | None = None, limit: int = 50, policy: AlertPolicy = AlertPolicy()) -> list[DueAlert]:
    """Claims due alert timers for this sweeper; each is handed to exactly one caller at a time.

    Alerts that no longer apply (collected, cancelled, opted out) are settled here with the reason
    recorded, and not returned. Each claim commits on its own, so replicas never block each other.
    """
    now = now or _now()
    claimed: list[DueAlert] = []
    while len(claimed) < limit:
        timer = claim_due_timer(uow, ALERT_KINDS, now, lease=policy.lease)
        if timer is None:
            uow.rollback()
            break
        order = uow.session.scalars(select(Order).where(Order.reference == timer.subject)).first()
        reason = _skip_reason(uow, order)
        if reason is not None:
            settle_timer(uow, timer.id, now, reason)
            if order is not None:
                _audit(uow, order, "pickup_alert_skipped", now, kind=timer.kind, reason=reason)
            uow.commit()
            continue
        uow.commit()
        assert order is not None
        claimed.append(
            DueAlert(
                timer_id=timer.id,
                kind=timer.kind,
                intent=ALERT_INTENTS[timer.kind],
                order_reference=order.reference,
                conversation_id=order.conversation_id,
                channel=order.channel,
                attempt=timer.attempts + 1,
            )
        )
    return claimed


def _order_for_timer(uow: UnitOfWork, timer_id: int) -> tuple[Timer, Order | None]:
    timer = uow.session.get(Timer, timer_id, populate_existing=True)
    if timer is None:
        raise LookupError(f"no timer {timer_id}")
    return timer, uow.session.scalars(select(Order).where(Order.reference == timer.subject)).first()


def record_alert_sent(uow: UnitOfWork, timer_id: int, now: datetime | None = None) -> None:
    """Marks a claimed alert as handed to Rasa; commits."""
    now = now or _now()
    timer, order = _order_for_timer(uow, timer_id)
    settle_timer(uow, timer_id, now)
    if order is not None:
        _audit(uow, order, "pickup_alert_sent", now, kind=timer.kind, attempts=timer.attempts)
    uow.commit()


def record_alert_failure(
    uow: UnitOfWork, timer_id: int, error: BaseException | str, now: datetime | None = None, policy: AlertPolicy = AlertPolicy()
) -> bool:
    """Puts a failed alert back with exponential backoff, or gives up after `policy.max_attempts`; commits.

    Returns:
        True if it will be retried.
    """
    now = now or _now()
    timer, order = _order_for_timer(uow, timer_id)
    attempts = int(timer.attempts)  # the claim already counted this attempt
    retry_in = exponential_backoff(attempts, policy.first_retry, policy.max_retry)
    if order is not None and attempts >= policy.max_attempts:
        _audit(uow, order, "pickup_alert_failed", now, kind=timer.kind, attempts=attempts, error=str(error)[:300])
    return note_timer_failure(uow, timer_id, attempts, error, now, max_attempts=policy.max_attempts, retry_in=retry_in)


async def deliver_due_alerts(
    shop: "Shop",
    rasa_client: TriggersIntents,
    now: datetime | None = None,
    policy: AlertPolicy = AlertPolicy(),
    limit: int = 50,
) -> DeliveryReport:
    """Sends every due alert through Rasa and records each result (the sweep calls this; so does mark-ready).

    Several replicas may call this at once: each alert is claimed by one of them.
    """
    now = now or _now()
    report = DeliveryReport()
    for alert in await shop.call(due_alerts, now, limit, policy):
        label = f"{alert.kind}:{alert.order_reference}"
        try:
            await rasa_client.trigger_intent(
                alert.conversation_id,
                alert.intent,
                entities={"order_reference": alert.order_reference},
                output_channel=RASA_CHANNEL_NAMES.get(alert.channel, alert.channel),
            )
        except Exception as error:  # noqa: BLE001 - any failure is retried later and shown to staff
            log.warning("pickup alert %s failed (attempt %s): %s", label, alert.attempt, error)
            retrying = await shop.call(record_alert_failure, alert.timer_id, error, now, policy)
            (report.retrying if retrying else report.given_up).append(label)
            continue
        await shop.call(record_alert_sent, alert.timer_id, now)
        report.sent.append(label)
    return report


def pickup_notice(uow: UnitOfWork, reference: str, now: datetime | None = None) -> PickupNotice:
    """What an alert about the order says: code, store, today's hours there, and how long it is held.

    Raises:
        OrderNotFound.
    """
    now = now or _now()
    order = find_order(uow, reference)
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
        held_until=local_now(details.timezone, as_utc(order.hold_expires_at)),
        amount_due_minor=order.total_minor if order.paid_at is None else None,
        currency=order.currency,
        locale=details.locale,
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
    return AlertStatus(timer.subject, timer.kind, as_utc(timer.due_at), state, int(timer.attempts), timer.last_error)


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
