"""Messaging rules every channel shares: opt-out, inbound dedupe, transcript, outbound records and retries.

Outbound sends are decided here (`plan_outbound`), not by callers: the opt-out check for phone
channels and the 24-hour window check live inside the path every sender takes, so no caller can
forget them. Outbound rows move queued -> sent -> delivered/read, or -> retrying -> ... -> failed;
refused sends are recorded as opted_out / blocked_window with the reason in last_error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from bot.kernel import clock
from bot.identity.customers import PHONE_CHANNELS, IdentityResult, last_inbound_at, upsert_channel_identity
from bot.kernel.db import insert_if_absent
from bot.kernel.models import ChatMessage, InboundDelivery, OutboundMessage, PhoneOptOut
from bot.kernel.unit_of_work import UnitOfWork, read_only
from bot.messaging.channels.types import FREE_FORM, TAGGED, TEMPLATE, WINDOWED_CHANNELS, OutboundText, SendResult
from bot.messaging.transcript import add_line, record_message


logger = logging.getLogger(__name__)

OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})

# Transcript payload key of the options a bot line offered; the web chat stores its buttons the same way.
OFFERED_OPTIONS_KEY = "buttons"
SERVICE_WINDOW = timedelta(hours=24)
MAX_SEND_ATTEMPTS = 5
FIRST_RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=1)

# Delivery statuses only move forward: a late "sent" callback must not undo "delivered".
_STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "undelivered": 2, "failed": 2, "read": 3}
_PROVIDER_STATUSES = {"sent", "delivered", "undelivered", "failed", "read"}


def classify_keyword(text: str | None) -> str | None:
    """Returns "opt_out", "opt_in" or "help" when the whole message is a carrier keyword, else None.

    Matching is exact after trimming and ignoring case, as carriers do: "stop" opts out,
    "please stop" does not.
    """
    word = (text or "").strip().upper()
    if word in OPT_OUT_KEYWORDS:
        return "opt_out"
    if word in OPT_IN_KEYWORDS:
        return "opt_in"
    if word in HELP_KEYWORDS:
        return "help"
    return None


def opt_out(uow: UnitOfWork, phone: str, keyword: str, *, now: datetime | None = None) -> None:
    """Silences an E.164 number on every channel until it opts in again."""
    insert_if_absent(
        uow.session,
        PhoneOptOut,
        {"phone": phone, "keyword": keyword.strip().upper()[:20], "opted_out_at": now or clock.now()},
    )
    uow.commit()


def opt_in(uow: UnitOfWork, phone: str) -> bool:
    """Lifts an opt-out; True when the number had been opted out."""
    removed = uow.session.execute(delete(PhoneOptOut).where(PhoneOptOut.phone == phone)).rowcount
    uow.commit()
    return removed > 0


@read_only
def is_opted_out(uow: UnitOfWork, phone: str) -> bool:
    """True when the E.164 number texted STOP (or another opt-out word) and has not opted in since."""
    return uow.session.get(PhoneOptOut, phone) is not None


@dataclass(frozen=True)
class InboundAcceptance:
    """An inbound message taken in: duplicate=True means it was seen before and must not be processed."""

    duplicate: bool
    identity: IdentityResult | None = None
    transcript_id: int | None = None


def accept_inbound(
    uow: UnitOfWork,
    channel: str,
    delivery_id: str,
    address: str,
    text: str,
    payload: dict[str, Any] | None = None,
    *,
    display_name: str = "",
    turn_text: str | None = None,
    now: datetime | None = None,
) -> InboundAcceptance:
    """Dedupes an inbound delivery, upserts the sender's identity and appends the transcript, atomically.

    One transaction: if anything fails, the delivery id is not recorded and the provider's retry
    is processed normally. The transcript line keeps the delivery id (`inbound_id`) and, when the
    assistant is handed something else than what is shown (a button's payload, a location intent),
    that text (`turn_text`): a line whose turn was lost in a crash is handed to the assistant again
    from this row alone (bot/messaging/web_lines.py).
    """
    payload = {**(payload or {}), "inbound_id": delivery_id}
    if turn_text and turn_text != text:
        payload["turn_text"] = turn_text
    now = now or clock.now()
    session = uow.session
    first = insert_if_absent(
        session, InboundDelivery, {"channel": channel, "delivery_id": delivery_id, "received_at": now}
    )
    if not first:
        uow.rollback()
        return InboundAcceptance(duplicate=True)
    identity = upsert_channel_identity(session, channel, address, display_name=display_name, now=now)
    transcript_id = add_line(session, identity.conversation_id, channel, "user", text, payload)
    uow.commit()
    return InboundAcceptance(duplicate=False, identity=identity, transcript_id=transcript_id)


# record_transcript(uow, conversation_id, channel, author, text, payload=None) -> int: appends one line
# (author user | bot | agent) to a conversation's transcript and returns its id. The transcript module
# owns the table; channels use it under this name.
record_transcript = record_message


@read_only
def last_offered_options(uow: UnitOfWork, conversation_id: str) -> list[dict[str, str]]:
    """The options (title, payload) of the latest bot line of a conversation, or [] if it offered none."""
    payload = uow.session.scalars(
        select(ChatMessage.payload)
        .where(ChatMessage.conversation_id == conversation_id, ChatMessage.author == "bot")
        .order_by(ChatMessage.id.desc())
        .limit(1)
    ).first()
    if not isinstance(payload, dict):
        return []
    options = payload.get(OFFERED_OPTIONS_KEY)
    return [dict(option) for option in options] if isinstance(options, list) else []


def within_service_window(uow: UnitOfWork, channel: str, address: str, *, now: datetime | None = None) -> bool:
    """True when a free-form message may be sent: always off WhatsApp/Meta, else within 24 h of the last inbound."""
    if channel not in WINDOWED_CHANNELS:
        return True
    last = last_inbound_at(uow, channel, address)
    return last is not None and (now or clock.now()) - last < SERVICE_WINDOW


@dataclass(frozen=True)
class OutboundPlan:
    """The decision for one send: `mode` says how to call the provider when status is "queued"."""

    outbound_id: int | None
    status: str
    mode: str = FREE_FORM
    reason: str = ""

    @property
    def should_send(self) -> bool:
        return self.status == "queued"

    def as_result(self) -> SendResult:
        return SendResult(self.status, self.outbound_id, reason=self.reason)


def plan_outbound(
    uow: UnitOfWork, message: OutboundText, *, record_only: bool = False, now: datetime | None = None
) -> OutboundPlan:
    """Records an outbound message and decides whether and how it may go out.

    Refusals are recorded too (status opted_out / blocked_window) so the audit trail shows why a
    shopper got nothing. `record_only` is the outbox: no provider is configured, keep the message.
    """
    now = now or clock.now()
    session = uow.session
    if message.dedupe_key:
        existing = session.scalars(
            select(OutboundMessage.id).where(OutboundMessage.dedupe_key == message.dedupe_key)
        ).first()
        if existing is not None:
            return OutboundPlan(existing, "duplicate", reason="already sent with this dedupe key")
    status, mode, reason = _decide(uow, message, now)
    if status == "queued" and record_only:
        status, reason = "outbox", "no provider credentials; kept in the outbox"
    row = OutboundMessage(
        channel=message.channel,
        recipient=message.recipient,
        conversation_id=message.conversation_id,
        body=message.text,
        payload=message.extras() or None,
        status=status,
        attempts=0,
        last_error=reason or None,
        dedupe_key=message.dedupe_key,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    uow.commit()
    if status != "queued":
        logger.info("outbound %s to %s channel not sent: %s", row.id, message.channel, status)
    return OutboundPlan(int(row.id), status, mode, reason)


def begin_resend(uow: UnitOfWork, outbound_id: int, *, now: datetime | None = None) -> tuple[OutboundText, OutboundPlan]:
    """Re-checks opt-out and the window for a claimed retry; returns the message and its new plan."""
    now = now or clock.now()
    row = uow.session.get(OutboundMessage, outbound_id)
    if row is None:
        raise LookupError(f"outbound message {outbound_id} does not exist")
    message = OutboundText.from_record(row.channel, row.recipient, row.body, row.conversation_id, row.payload)
    status, mode, reason = _decide(uow, message, now)
    if status != "queued":
        row.status, row.last_error, row.next_attempt_at = status, reason, None
    uow.commit()
    return message, OutboundPlan(outbound_id, status, mode, reason)


def mark_sent(uow: UnitOfWork, outbound_id: int, provider_message_id: str | None) -> None:
    """The provider accepted the message."""
    uow.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == outbound_id)
        .values(
            status="sent",
            provider_message_id=provider_message_id,
            attempts=OutboundMessage.attempts + 1,
            next_attempt_at=None,
            last_error=None,
            updated_at=clock.now(),
        )
    )
    uow.commit()


def mark_failed(
    uow: UnitOfWork, outbound_id: int, error: str, *, transient: bool, now: datetime | None = None
) -> str:
    """Records a failed provider call; schedules a retry with exponential backoff when it may succeed later.

    Returns the new status: "retrying" or "failed".
    """
    now = now or clock.now()
    row = uow.session.get(OutboundMessage, outbound_id)
    if row is None:
        raise LookupError(f"outbound message {outbound_id} does not exist")
    row.attempts = (row.attempts or 0) + 1
    row.last_error = error[:2000]
    row.updated_at = now
    if transient and row.attempts < MAX_SEND_ATTEMPTS:
        row.status = "retrying"
        row.next_attempt_at = now + retry_delay(row.attempts)
    else:
        row.status = "failed"
        row.next_attempt_at = None
    uow.commit()
    return str(row.status)


def retry_delay(attempts_made: int) -> timedelta:
    """30 s after the first failure, doubling each time, at most an hour."""
    delay = FIRST_RETRY_DELAY * (2 ** max(attempts_made - 1, 0))
    return min(delay, MAX_RETRY_DELAY)


def apply_status_callback(
    uow: UnitOfWork, provider_message_id: str, provider_status: str, error_code: str | None = None
) -> bool:
    """Applies a provider delivery report; returns False when no outbound message has that id.

    Reports arrive out of order, so a status never moves backwards (delivered stays delivered
    when a late "sent" arrives). Interim statuses (queued, sending, accepted) are ignored.
    """
    row = uow.session.scalars(
        select(OutboundMessage).where(OutboundMessage.provider_message_id == provider_message_id)
    ).first()
    if row is None:
        return False
    status = provider_status.strip().lower()
    if status in _PROVIDER_STATUSES and _STATUS_RANK[status] > _STATUS_RANK.get(row.status, 0):
        row.status = status
        if error_code:
            row.last_error = f"provider error {error_code}"
        row.updated_at = clock.now()
    uow.commit()
    return True


def claim_due_retries(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 50) -> list[int]:
    """Takes retries that are due; each is claimed with a conditional UPDATE so one sweeper gets it."""
    now = now or clock.now()
    due = uow.session.scalars(
        select(OutboundMessage.id)
        .where(OutboundMessage.status == "retrying", OutboundMessage.next_attempt_at <= now)
        .order_by(OutboundMessage.next_attempt_at)
        .limit(limit)
    ).all()
    claimed = []
    for outbound_id in due:
        result = uow.session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == outbound_id, OutboundMessage.status == "retrying")
            .values(status="queued", next_attempt_at=None, updated_at=now)
        )
        if result.rowcount == 1:
            claimed.append(int(outbound_id))
    uow.commit()
    return claimed


def _decide(uow: UnitOfWork, message: OutboundText, now: datetime) -> tuple[str, str, str]:
    """(status, mode, reason) for a message: the one place opt-out and the 24-hour window are enforced."""
    if message.channel in PHONE_CHANNELS and is_opted_out(uow, message.recipient):
        return "opted_out", FREE_FORM, "recipient opted out (STOP); reply START to resume"
    if within_service_window(uow, message.channel, message.recipient, now=now):
        return "queued", FREE_FORM, ""
    if message.channel == "whatsapp":
        if message.template is not None:
            return "queued", TEMPLATE, ""
        return "blocked_window", FREE_FORM, "WhatsApp 24-hour window closed and no approved template given"
    if message.channel == "messenger":
        if message.message_tag:
            return "queued", TAGGED, ""
        return "blocked_window", FREE_FORM, "Messenger 24-hour window closed and no message tag given"
    return "blocked_window", FREE_FORM, (
        f"{message.channel} 24-hour window closed; Instagram has no POST_PURCHASE_UPDATE tag"
        if message.channel == "instagram"
        else f"{message.channel} 24-hour window closed"
    )


