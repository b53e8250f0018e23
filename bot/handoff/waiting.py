"""How long a shopper waits for a person: whether anyone is there, their place in the queue, and a wait estimate
measured from recent handoffs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import statistics

from sqlalchemy import select

from bot.kernel import clock
from bot.handoff.agents import agents_online
from bot.handoff.states import AGENT_TOOK_OVER, HandoffPolicy, HandoffView, LEFT_MESSAGE, WAITING
from bot.handoff.support_hours import SupportHours
from bot.kernel.models import HandoffSession
from bot.kernel.unit_of_work import UnitOfWork, read_only


# Sessions whose wait says nothing about the live queue: an agent took over a conversation nobody queued
# for (0 s), or answered a message left hours before. The estimate offered to shoppers leaves both out.
NOT_LIVE_WAITS = (AGENT_TOOK_OVER, LEFT_MESSAGE)

# Used for the wait estimate until enough handoffs have been taken to measure it.
DEFAULT_WAIT = timedelta(minutes=3)
RECENT_WAITS_SAMPLE = 20


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
    remaining = typical * queue_position(uow, handoff) - (now - handoff.requested_at)
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


def queue_position(uow: UnitOfWork, handoff: HandoffView) -> int:
    if handoff.state != WAITING:
        return 0
    ahead = uow.session.scalars(
        select(HandoffSession.id).where(HandoffSession.state == WAITING, HandoffSession.id < handoff.id)
    ).all()
    return len(ahead) + 1
