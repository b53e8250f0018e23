"""The shopper-notice outbox: what a shopper must be told is written with the change that causes it, then
delivered at least once and shown once.

A notice is a `timers` row (kind, subject) added in the SAME transaction as the change it reports: the
hold expiry that released the stock, the webhook that marked the order paid, the click that marked it
ready. If that transaction commits, the notice exists; if the process dies a moment later, the notice is
still there for any sweeper to deliver. Nothing is remembered in memory between the change and the send.

Delivery (`bot.orchestration.notice_delivery.deliver_due_notices`, run by every sweeper and nudged by the routes that cause a notice):

* claims one notice at a time with a lease (`claim_due_timer(lease=...)`), so replicas share the work
  and a sweeper killed mid-send leaves the notice to be taken again when the lease runs out;
* pushes it into the conversation through Rasa's trigger_intent (EXTERNAL_… intent), so the reply goes
  out on the conversation's own channel and the dialogue knows about it;
* on failure (Rasa down, a replica dying) puts it back with exponential backoff, for hours, with the
  error kept for staff; it gives up only after `DeliveryPolicy.max_attempts` (audited).

At least once means a notice can reach Rasa twice: the sweeper may die after Rasa took it and before the
row was marked sent. Each push therefore carries a dedupe key (`notice_key` = kind:subject, unique like
the row itself), and the conversation remembers the keys it has already said (`DialogueState.notices`,
saved with the turn that said them), so the second push says nothing. A Rasa replica can also die after
its turn said the notice and before it saved the tracker that remembers the key: a later attempt
(`notice_attempt` > 1) therefore also looks in the transcript, where the saying was written, before
saying it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import select

from bot.kernel import audit, clock
from bot.identity.customers import PHONE_CHANNELS
from bot.kernel.models import Order, Timer
from bot.kernel.timers import claim_due_timer, exponential_backoff, note_timer_failure, schedule_timer, settle_timer
from bot.kernel.unit_of_work import UnitOfWork
from bot.messaging.channel_rules import is_opted_out
from bot.ordering.rules import OrderStatus


log = logging.getLogger(__name__)

# Pickup alerts (scheduled by bot.ordering.pickup_alerts when an order is marked ready).
READY_ALERT = "ready_alert"
PICKUP_REMINDER = "pickup_reminder"
HOLD_ENDING = "hold_ending"
ALERT_KINDS = (READY_ALERT, PICKUP_REMINDER, HOLD_ENDING)
# Notices caused by a change to the order (expiry sweep, payment webhooks).
HOLD_EXPIRED = "hold_expired"
PAYMENT_RECEIVED = "payment_received"
PAYMENT_FAILED = "payment_failed"
PAYMENT_REFUNDED = "payment_refunded"
NOTICE_INTENTS = {
    READY_ALERT: "EXTERNAL_order_ready",
    PICKUP_REMINDER: "EXTERNAL_pickup_reminder",
    HOLD_ENDING: "EXTERNAL_hold_ending",
    HOLD_EXPIRED: "EXTERNAL_hold_expired",
    PAYMENT_RECEIVED: "EXTERNAL_payment_received",
    PAYMENT_FAILED: "EXTERNAL_payment_failed",
    PAYMENT_REFUNDED: "EXTERNAL_payment_refunded",
}
NOTICE_KINDS = tuple(NOTICE_INTENTS)
KIND_BY_INTENT = {intent: kind for kind, intent in NOTICE_INTENTS.items()}
# The trigger_intent entity carrying what a notice says, read with its claim (bot/conversation/notices.py).
NOTICE_FACTS = "notice_facts"
# Which delivery of the notice this is (1 = the first); a later one may follow a replica that said it and died.
NOTICE_ATTEMPT = "notice_attempt"
# A subject is the order reference, or "reference/event id" for notices an order can have several of.
SUBJECT_SEPARATOR = "/"
OPTED_OUT_NOTE = "not sent: {phone} opted out (STOP)"
@dataclass(frozen=True)
class DeliveryPolicy:
    """How failed sends are retried.

    Attributes:
        max_attempts: sends tried at most this many times before giving up (audited; the dashboard shows
            it). With the defaults that is about a day of retries: a Rasa outage delays a notice, it
            does not drop it.
        first_retry: wait before the first retry; doubles each time up to `max_retry`.
        max_retry: the longest wait between retries.
        lease: how long a claimed notice is reserved for its sweeper (longer than a Rasa call may take).
    """

    max_attempts: int = 30
    first_retry: timedelta = timedelta(seconds=30)
    max_retry: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)

    @classmethod
    def from_settings(cls, settings: object) -> "DeliveryPolicy":
        """Reads `notice_lease_seconds` and `notice_retry_seconds` from Settings when it has them."""
        lease = getattr(settings, "notice_lease_seconds", None) or cls.lease.total_seconds()
        retry = getattr(settings, "notice_retry_seconds", None) or cls.first_retry.total_seconds()
        return cls(lease=timedelta(seconds=float(lease)), first_retry=timedelta(seconds=float(retry)))


@dataclass(frozen=True)
class DueNotice:
    """A notice claimed by this sweeper: send it, then record the result."""

    timer_id: int
    kind: str
    subject: str
    intent: str
    order_reference: str
    conversation_id: str
    channel: str
    attempt: int
    facts: str | None = None  # what the notice says, read with the claim (`due_notices(facts=...)`)

    @property
    def key(self) -> str:
        """The dedupe key the conversation checks: the same for every delivery of this notice."""
        return notice_key(self.kind, self.subject)


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    given_up: list[str] = field(default_factory=list)
    unreachable: bool = False  # a push reached no Rasa at all (refused): this replica's Rasa is down



def notice_key(kind: str, subject: str) -> str:
    return f"{kind}:{subject}"


def notice_subject(reference: str, event_id: str | None = None) -> str:
    return f"{reference}{SUBJECT_SEPARATOR}{event_id}" if event_id else reference


def queue_notice(uow: UnitOfWork, kind: str, reference: str, now: datetime, event_id: str | None = None) -> bool:
    """Adds a notice to the outbox in the caller's transaction (no commit); True if it is new.

    Args:
        event_id: for notices an order can have several of (a second declined card), what tells
            them apart; leave None for once-per-order notices, so a repeat of the cause adds nothing.
    """
    if kind not in NOTICE_INTENTS:
        raise ValueError(f"unknown notice kind {kind!r}")
    return schedule_timer(uow, kind, notice_subject(reference, event_id), now)


def _audit_notice(uow: UnitOfWork, order: Order, kind: str, what: str, now: datetime, **detail: Any) -> None:
    # Pickup alerts and other notices share the outbox but keep their own audit names.
    action = f"{'pickup_alert' if kind in ALERT_KINDS else 'notice'}_{what}"
    actor = "system:alerts" if kind in ALERT_KINDS else "system:notices"
    audit.record(uow, actor=actor, action=action, now=now, order=order, kind=kind, **detail)


def mask_phone(phone: str) -> str:
    return f"{'•' * max(len(phone) - 4, 0)}{phone[-4:]}"


def opted_out_phone(uow: UnitOfWork, order: Order) -> str | None:
    """The phone a notice for `order` would reach if it has opted out (SMS/WhatsApp orders), else None."""
    if order.channel not in PHONE_CHANNELS:
        return None
    _channel, _sep, address = order.conversation_id.partition(":")
    for phone in dict.fromkeys(p for p in (address.removeprefix("whatsapp:"), order.contact_phone) if p):
        if is_opted_out(uow, phone):
            return phone
    return None


def _skip_reason(uow: UnitOfWork, kind: str, order: Order | None) -> str | None:
    """Why a due notice should no longer be sent, or None to send it.

    Pickup alerts only make sense while the order waits at the counter, and they are refused for an
    opted-out phone. The other notices report something that happened and are always told (the
    channel's output layer still applies opt-out and messaging windows).
    """
    if order is None:
        return "skipped: the order no longer exists"
    if kind not in ALERT_KINDS:
        return None
    if order.status != OrderStatus.READY.value:
        return f"skipped: the order is {order.status}"
    phone = opted_out_phone(uow, order)
    return OPTED_OUT_NOTE.format(phone=mask_phone(phone)) if phone else None


def _read_facts(
    facts: Callable[[UnitOfWork, str, Order, datetime], str] | None, uow: UnitOfWork, kind: str, order: Order, now: datetime
) -> str | None:
    if facts is None:
        return None
    try:
        return facts(uow, kind, order, now)
    except Exception:  # noqa: BLE001 - the notice still goes; the conversation then reads the order itself
        log.exception("could not read what the %s notice for %s says", kind, order.reference)
        return None


def due_notices(
    uow: UnitOfWork,
    now: datetime | None = None,
    limit: int = 50,
    policy: DeliveryPolicy = DeliveryPolicy(),
    kinds: tuple[str, ...] = NOTICE_KINDS,
    subject: str | None = None,
    facts: Callable[[UnitOfWork, str, Order, datetime], str] | None = None,
) -> list[DueNotice]:
    """Claims due notices for this sweeper; each is handed to exactly one caller at a time.

    Notices that no longer apply are settled here with the reason recorded, and not returned. Each
    claim commits on its own, so replicas never block each other.

    Args:
        kinds, subject: claim only these (a route delivering the notice it just caused); with a subject
            there is at most one notice per kind, so no further claim is tried once each is taken.
        facts: reads what a notice will say from its order in the claim's transaction, so the
            conversation need not read the order again (`bot.ordering.pickup_alerts.notice_facts`).
    """
    now = now or clock.now()
    claimed: list[DueNotice] = []
    if subject is not None:
        limit = min(limit, len(kinds))
    while len(claimed) < limit:
        timer = claim_due_timer(uow, kinds, now, lease=policy.lease, subject=subject)
        if timer is None:
            uow.rollback()
            break
        reference = timer.subject.partition(SUBJECT_SEPARATOR)[0]
        order = uow.session.scalars(select(Order).where(Order.reference == reference)).first()
        reason = _skip_reason(uow, timer.kind, order)
        if reason is not None:
            settle_timer(uow, timer.id, now, reason)
            if order is not None:
                _audit_notice(uow, order, timer.kind, "skipped", now, reason=reason)
            uow.commit()
            continue
        assert order is not None
        said = _read_facts(facts, uow, timer.kind, order, now)
        uow.commit()
        claimed.append(
            DueNotice(
                timer_id=timer.id,
                kind=timer.kind,
                subject=timer.subject,
                intent=NOTICE_INTENTS[timer.kind],
                order_reference=order.reference,
                conversation_id=order.conversation_id,
                channel=order.channel,
                attempt=timer.attempts + 1,
                facts=said,
            )
        )
    return claimed


def _order_for_timer(uow: UnitOfWork, timer_id: int) -> tuple[Timer, Order | None]:
    timer = uow.session.get(Timer, timer_id, populate_existing=True)
    if timer is None:
        raise LookupError(f"no timer {timer_id}")
    reference = timer.subject.partition(SUBJECT_SEPARATOR)[0]
    return timer, uow.session.scalars(select(Order).where(Order.reference == reference)).first()


def record_notice_sent(uow: UnitOfWork, timer_id: int, now: datetime | None = None) -> None:
    """Marks a claimed notice as handed to Rasa; commits."""
    now = now or clock.now()
    timer, order = _order_for_timer(uow, timer_id)
    settle_timer(uow, timer_id, now)
    if order is not None:
        _audit_notice(uow, order, timer.kind, "sent", now, attempts=timer.attempts)
    uow.commit()


def record_notice_failure(
    uow: UnitOfWork, timer_id: int, error: BaseException | str, now: datetime | None = None, policy: DeliveryPolicy = DeliveryPolicy()
) -> bool:
    """Puts a failed notice back with exponential backoff, or gives up after `policy.max_attempts`; commits.

    Returns:
        True if it will be retried.
    """
    now = now or clock.now()
    timer, order = _order_for_timer(uow, timer_id)
    attempts = int(timer.attempts)  # the claim already counted this attempt
    retry_in = exponential_backoff(attempts, policy.first_retry, policy.max_retry)
    if order is not None and attempts >= policy.max_attempts:
        _audit_notice(uow, order, timer.kind, "failed", now, attempts=attempts, error=str(error)[:300])
    return note_timer_failure(uow, timer_id, attempts, error, now, max_attempts=policy.max_attempts, retry_in=retry_in)
