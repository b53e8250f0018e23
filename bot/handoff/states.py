"""A handoff's states and reasons, the policy that shapes it, and the views callers get of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Mapping
import os

from bot.handoff.support_hours import DEFAULT_SUPPORT_HOURS, DEFAULT_SUPPORT_TIMEZONE, SupportHours, parse_support_hours
from bot.kernel.models import HandoffSession


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
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "HandoffPolicy":
        """Reads the policy from the environment.

        Raises:
            InvalidSupportHours: SUPPORT_HOURS or SUPPORT_TIMEZONE is malformed.
            ValueError: AGENT_ONLINE_MINUTES is not a positive whole number.
        """
        env = os.environ if environ is None else environ
        hours = parse_support_hours(
            env.get("SUPPORT_HOURS") or DEFAULT_SUPPORT_HOURS, env.get("SUPPORT_TIMEZONE") or DEFAULT_SUPPORT_TIMEZONE
        )
        raw_minutes = env.get("AGENT_ONLINE_MINUTES") or "5"
        if not raw_minutes.isdigit() or int(raw_minutes) < 1:
            raise ValueError(f"AGENT_ONLINE_MINUTES must be a positive whole number, got {raw_minutes!r}")
        return cls(hours, timedelta(minutes=int(raw_minutes)))


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


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every timestamp is written in UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def view_of(row: HandoffSession) -> HandoffView:
    return HandoffView(
        id=int(row.id),
        conversation_id=row.conversation_id,
        channel=row.channel,
        state=row.state,
        reason=row.reason,
        agent_id=int(row.agent_id) if row.agent_id is not None else None,
        requested_at=as_utc(row.requested_at),  # type: ignore[arg-type]
        taken_at=as_utc(row.taken_at),
        ended_at=as_utc(row.ended_at),
        resolved_by=row.resolved_by,
    )
