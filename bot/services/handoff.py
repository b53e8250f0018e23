"""Handing conversations to people: the handoff state machine, availability and wait estimates.

States of a handoff session::

    waiting --take--> active --hand_back--> returned
       |                 \\--close-------> closed
       \\--close-----------------------------> closed
    message --take--> active ...          (a message left outside hours; agents see it later)
    message --close--> closed

At most one session per conversation is open (waiting or active): asking twice returns the same one.
Every transition is a conditional UPDATE (``... WHERE state = 'waiting'``) checked by its row count,
so two agents grabbing the same conversation at once cannot both win, on SQLite or PostgreSQL.
The Rasa side (pause/resume) and the shopper-facing messages are the callers' job.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import func, select, update

from bot import clock
from bot.config import Settings, load_settings
from bot.domain.support_hours import (
    DEFAULT_SUPPORT_HOURS,
    DEFAULT_SUPPORT_TIMEZONE,
    SupportHours,
    parse_support_hours,
)
from bot.models import HandoffSession
from bot.services.agents import agents_online
from bot.services.unit_of_work import UnitOfWork, read_only

WAITING, ACTIVE, RETURNED, CLOSED, MESSAGE = "waiting", "active", "returned", "closed", "message"
OPEN_STATES = (WAITING, ACTIVE)
STATES = frozenset({WAITING, ACTIVE, RETURNED, CLOSED, MESSAGE})

# Why a conversation reached people (HandoffSession.reason).
ASKED_FOR_PERSON = "asked_for_person"
NOT_UNDERSTOOD = "not_understood"
AGENT_TOOK_OVER = "agent_took_over"
LEFT_MESSAGE = "left_message"
REASON_LABELS = {
    ASKED_FOR_PERSON: "asked for a person",
    NOT_UNDERSTOOD: "assistant did not understand twice",
    AGENT_TOOK_OVER: "agent took over",
    LEFT_MESSAGE: "left a message",
}

# Sessions whose wait says nothing about the live queue: an agent took over a conversation nobody queued
# for (0 s), or answered a message left hours before. The estimate offered to shoppers leaves both out.
NOT_LIVE_WAITS = (AGENT_TOOK_OVER, LEFT_MESSAGE)

# Used for the wait estimate until enough handoffs have been taken to measure it.
DEFAULT_WAIT = timedelta(minutes=3)
RECENT_WAITS_SAMPLE = 20


class HandoffError(Exception):
    """A handoff transition that is not allowed; `code` says which (for the console's JSON)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class HandoffPolicy:
    """Support hours and what "an agent is online" means; from SUPPORT_HOURS, SUPPORT_TIMEZONE, AGENT_ONLINE_MINUTES."""

    hours: SupportHours
    online_within: timedelta = timedelta(minutes=5)

    @classmethod
    def from_settings(cls, settings: Settings) -> "HandoffPolicy":
        """SUPPORT_HOURS, SUPPORT_TIMEZONE and AGENT_ONLINE_MINUTES (Settings).

        Raises:
            InvalidSupportHours: SUPPORT_HOURS or SUPPORT_TIMEZONE is malformed.
            ValueError: AGENT_ONLINE_MINUTES is not a positive whole number.
        """
        hours = parse_support_hours(settings.support_hours or DEFAULT_SUPPORT_HOURS, settings.support_timezone or DEFAULT_SUPPORT_TIMEZONE)
        if settings.agent_online_minutes < 1:
            raise ValueError(f"AGENT_ONLINE_MINUTES must be a positive whole number, got {settings.agent_online_minutes}")
        return cls(hours, timedelta(minutes=settings.agent_online_minutes))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "HandoffPolicy":
        """The policy in the environment as it is now (or in `environ`), read through Settings."""
        return cls.from_settings(load_settings(environ))


@dataclass(frozen=True)
class HandoffView:
    id: int
    conversation_id: str
    channel: str
    state: str
    reason: str
    agent_id: int | None
    requested_at: datetime
    taken_at: datetime | None
    ended_at: datetime | None
    resolved_by: str | None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


@dataclass(frozen=True)
class HandoffRequest:
    """The outcome of asking for a person: the session, whether this call created it, and the wait."""

    handoff: HandoffView
    created: bool
    position: int  # 1 = next to be taken; 0 when an agent already has it
    estimated_wait: timedelta


@dataclass(frozen=True)
class TakeResult:
    """status: taken (this agent won), already_yours, taken_by_other (another agent owns it)."""

    status: str
    handoff: HandoffView

    @property
    def won(self) -> bool:
        return self.status in {"taken", "already_yours"}


@dataclass(frozen=True)
class Availability:
    """Whether to offer a person now. status: available, outside_hours or no_agent_online."""

    status: str
    agents_online: int
    hours: SupportHours
    next_opening: datetime | None

    @property
    def person_available(self) -> bool:
        return self.status == "available"


def view_of(row: HandoffSession) -> HandoffView:
    return HandoffView(
        id=int(row.id),
        conversation_id=row.conversation_id,
        channel=row.channel,
        state=row.state,
        reason=row.reason,
        agent_id=int(row.agent_id) if row.agent_id is not None else None,
        requested_at=clock.as_utc(row.requested_at),  # type: ignore[arg-type]
        taken_at=clock.as_utc(row.taken_at),
        ended_at=clock.as_utc(row.ended_at),
        resolved_by=row.resolved_by,
    )


def open_handoff(uow: UnitOfWork, conversation_id: str) -> HandoffView | None:
    """The conversation's waiting or active session, if any (the oldest, should duplicates exist)."""
    row = uow.session.scalars(
        select(HandoffSession)
        .where(HandoffSession.conversation_id == conversation_id, HandoffSession.state.in_(OPEN_STATES))
        .order_by(HandoffSession.id)
        .limit(1)
    ).first()
    return view_of(row) if row is not None else None


@read_only
def people_owned_since(uow: UnitOfWork, conversation_id: str, since: datetime) -> bool:
    """Whether people own the conversation now, or did at any moment since `since`.

    A shopper's message that reached Rasa while an agent had it is logged and left unanswered; if the
    agent hands back before that turn ends, the session is already "returned" when the turn is judged.
    """
    rows = uow.session.scalars(select(HandoffSession).where(HandoffSession.conversation_id == conversation_id)).all()
    for row in rows:
        if row.state in OPEN_STATES:
            return True
        ended = clock.as_utc(row.ended_at)
        # A left message that nobody took never paused the assistant.
        paused = row.reason != LEFT_MESSAGE or row.taken_at is not None
        if paused and ended is not None and ended >= since:
            return True
    return False


@read_only
def get_handoff(uow: UnitOfWork, handoff_id: int) -> HandoffView:
    """Raises HandoffError("not_found") when there is no such session."""
    row = uow.session.get(HandoffSession, handoff_id)
    if row is None:
        raise HandoffError("not_found", f"handoff {handoff_id} does not exist")
    return view_of(row)


def request_handoff(
    uow: UnitOfWork, conversation_id: str, channel: str, reason: str, *, now: datetime | None = None
) -> HandoffRequest:
    """Puts a conversation in the queue for a person; idempotent while one is open.

    Raises:
        HandoffError("invalid"): empty conversation id or channel, or a reason longer than 60 characters.
    """
    _check_names(conversation_id, channel, reason)
    now = now or clock.now()
    _lock_conversation(uow, conversation_id)
    existing = open_handoff(uow, conversation_id)
    if existing is not None:
        return HandoffRequest(existing, False, _position(uow, existing), estimate_wait(uow, existing, now=now))
    row = HandoffSession(conversation_id=conversation_id, channel=channel, state=WAITING, reason=reason, requested_at=now)
    uow.session.add(row)
    uow.session.flush()
    view = view_of(row)
    uow.commit()
    return HandoffRequest(view, True, _position(uow, view), estimate_wait(uow, view, now=now))


def leave_message(uow: UnitOfWork, conversation_id: str, channel: str, *, now: datetime | None = None) -> HandoffView:
    """Records that the shopper left a message for agents (the words are in the transcript).

    Raises:
        HandoffError("invalid"): empty conversation id or channel.
    """
    _check_names(conversation_id, channel, LEFT_MESSAGE)
    row = HandoffSession(
        conversation_id=conversation_id, channel=channel, state=MESSAGE, reason=LEFT_MESSAGE, requested_at=now or clock.now()
    )
    uow.session.add(row)
    uow.session.flush()
    view = view_of(row)
    uow.commit()
    return view


def take_conversation(
    uow: UnitOfWork,
    agent_id: int,
    *,
    handoff_id: int | None = None,
    conversation_id: str | None = None,
    channel: str | None = None,
    now: datetime | None = None,
) -> TakeResult:
    """Gives a conversation to one agent; of several agents taking it at once exactly one wins.

    Pass `handoff_id` to take a queued session (waiting, or a left message), or `conversation_id`
    (with its `channel`) to take over a live conversation: its open session is taken, or one is opened
    for it with reason "agent_took_over".

    Raises:
        HandoffError: not_found (no such session), ended (returned or closed), invalid (neither id given).
    """
    now = now or clock.now()
    if handoff_id is None:
        if not conversation_id or not channel:
            raise HandoffError("invalid", "give a handoff id, or a conversation id and its channel")
        handoff_id = request_handoff(uow, conversation_id, channel, AGENT_TOOK_OVER, now=now).handoff.id
    target = get_handoff(uow, handoff_id)
    if target.state == MESSAGE:
        # Answering a left message opens a live session (or joins the one a colleague just opened).
        # The shopper has been waiting since they left the message: the live session starts then, so its
        # wait (and the console's figures) counts from the message, not from the moment it was answered.
        _transition(uow, handoff_id, (MESSAGE,), state=CLOSED, ended_at=now, resolved_by="agent", agent_id=agent_id)
        handoff_id = request_handoff(
            uow, target.conversation_id, target.channel, LEFT_MESSAGE, now=min(now, target.requested_at)
        ).handoff.id
    claimed = uow.session.execute(
        update(HandoffSession)
        .where(HandoffSession.id == handoff_id, HandoffSession.state == WAITING, HandoffSession.agent_id.is_(None))
        .values(state=ACTIVE, agent_id=agent_id, taken_at=now)
    ).rowcount
    uow.commit()
    current = get_handoff(uow, handoff_id)
    if claimed == 1:
        return TakeResult("taken", current)
    if current.state == ACTIVE:
        return TakeResult("already_yours" if current.agent_id == agent_id else "taken_by_other", current)
    raise HandoffError("ended", f"handoff {handoff_id} is {current.state}; it cannot be taken")


def hand_back(uow: UnitOfWork, handoff_id: int, agent_id: int, *, now: datetime | None = None) -> HandoffView:
    """The owning agent returns the conversation to the assistant (active -> returned).

    Raises:
        HandoffError: not_found, not_yours (another agent owns it), invalid_state (not active).
    """
    current = get_handoff(uow, handoff_id)
    if current.state != ACTIVE:
        raise HandoffError("invalid_state", f"only an active conversation can be handed back; this one is {current.state}")
    if current.agent_id != agent_id:
        raise HandoffError("not_yours", "another agent owns this conversation")
    now = now or clock.now()
    if not _transition(uow, handoff_id, (ACTIVE,), owner=agent_id, state=RETURNED, ended_at=now, resolved_by="agent"):
        raise HandoffError("invalid_state", "the conversation changed meanwhile; reload it")
    return get_handoff(uow, handoff_id)


def close_handoff(uow: UnitOfWork, handoff_id: int, agent_id: int, *, now: datetime | None = None) -> HandoffView:
    """Ends a session: the owner closes an active one; any agent closes a waiting one or a left message.

    Raises:
        HandoffError: not_found, not_yours, invalid_state (already returned or closed).
    """
    current = get_handoff(uow, handoff_id)
    if current.state not in (WAITING, ACTIVE, MESSAGE):
        raise HandoffError("invalid_state", f"this conversation is already {current.state}")
    if current.state == ACTIVE and current.agent_id != agent_id:
        raise HandoffError("not_yours", "another agent owns this conversation")
    now = now or clock.now()
    owner = agent_id if current.state == ACTIVE else None
    changed = _transition(
        uow, handoff_id, (current.state,), owner=owner, state=CLOSED, ended_at=now, resolved_by="agent",
        agent_id=agent_id,
    )
    if not changed:
        raise HandoffError("invalid_state", "the conversation changed meanwhile; reload it")
    return get_handoff(uow, handoff_id)


@read_only
def availability(uow: UnitOfWork, policy: HandoffPolicy, *, now: datetime | None = None) -> Availability:
    """Whether a person can be offered now: within support hours and with an agent online."""
    now = now or clock.now()
    online = agents_online(uow, policy.online_within, now=now)
    if not policy.hours.is_open(now):
        status = "outside_hours"
    elif online == 0:
        status = "no_agent_online"
    else:
        status = "available"
    return Availability(status, online, policy.hours, policy.hours.next_opening(now))


def recent_waits(uow: UnitOfWork, limit: int = RECENT_WAITS_SAMPLE) -> list[timedelta]:
    """How long the last `limit` taken sessions waited, newest first."""
    rows = uow.session.execute(
        select(HandoffSession.requested_at, HandoffSession.taken_at)
        .where(HandoffSession.taken_at.is_not(None), HandoffSession.reason.not_in(NOT_LIVE_WAITS))
        .order_by(HandoffSession.taken_at.desc())
        .limit(limit)
    ).all()
    return [clock.as_utc(taken) - clock.as_utc(requested) for requested, taken in rows]  # type: ignore[operator]


def estimate_wait(uow: UnitOfWork, handoff: HandoffView, *, now: datetime | None = None) -> timedelta:
    """Rough wait for a waiting session: the median recent wait per place in the queue, minus time waited."""
    if handoff.state != WAITING:
        return timedelta(0)
    now = now or clock.now()
    waits = recent_waits(uow)
    typical = statistics.median(waits) if waits else DEFAULT_WAIT
    typical = max(typical, timedelta(minutes=1))
    remaining = typical * _position(uow, handoff) - (now - handoff.requested_at)
    return max(remaining, timedelta(minutes=1))


def describe_wait(wait: timedelta) -> str:
    """"about a minute", "about 4 minutes", "about an hour", "about 2 hours"."""
    minutes = max(1, round(wait.total_seconds() / 60))
    if minutes == 1:
        return "about a minute"
    if minutes < 60:
        return f"about {minutes} minutes"
    hours = round(minutes / 60)
    return "about an hour" if hours == 1 else f"about {hours} hours"


def _position(uow: UnitOfWork, handoff: HandoffView) -> int:
    if handoff.state != WAITING:
        return 0
    ahead = uow.session.scalars(
        select(HandoffSession.id).where(HandoffSession.state == WAITING, HandoffSession.id < handoff.id)
    ).all()
    return len(ahead) + 1


def _lock_conversation(uow: UnitOfWork, conversation_id: str) -> None:
    """Serialises handoff requests of one conversation until commit, so two cannot both open a session.

    SQLite transactions already start with BEGIN IMMEDIATE (one writer at a time); PostgreSQL gets a
    transaction-scoped advisory lock keyed by the conversation id.
    """
    if uow.session.get_bind().dialect.name == "postgresql":
        uow.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(conversation_id))))


def _transition(
    uow: UnitOfWork, handoff_id: int, from_states: tuple[str, ...], *, owner: int | None = None, **values: object
) -> bool:
    """Applies `values` only if the session is still in `from_states` (and owned by `owner`, if given)."""
    statement = update(HandoffSession).where(HandoffSession.id == handoff_id, HandoffSession.state.in_(from_states))
    if owner is not None:
        statement = statement.where(HandoffSession.agent_id == owner)
    changed = uow.session.execute(statement.values(**values)).rowcount
    uow.commit()
    return changed == 1


def _check_names(conversation_id: str, channel: str, reason: str) -> None:
    if not conversation_id or len(conversation_id) > 160:
        raise HandoffError("invalid", "conversation id must be 1-160 characters")
    if not channel or len(channel) > 20:
        raise HandoffError("invalid", "channel must be 1-20 characters")
    if not reason or len(reason) > 60:
        raise HandoffError("invalid", "reason must be 1-60 characters")
