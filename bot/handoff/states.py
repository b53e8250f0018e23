"""A handoff's states and reasons, the policy that shapes it, and the views callers get of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from bot.kernel import clock
from bot.kernel.config import Settings, load_settings
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
