"""Recording funnel facts and reading them back per day, for the console.

Both feeds write here the same way: the RabbitMQ consumer in production (bot/adapters/funnel_consumer.py)
and, in embedded mode, Rasa's own process through an in-process event broker
(bot/adapters/rasa_funnel_broker.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import func, select

from bot.kernel import clock
from bot.funnel.facts import STAGES, Fact
from bot.kernel.models import FunnelFact
from bot.kernel.db import insert_if_absent
from bot.kernel.unit_of_work import UnitOfWork, read_only

DEFAULT_DAYS = 7


@dataclass(frozen=True)
class FunnelDay:
    day: date
    counts: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), **{stage: self.counts.get(stage, 0) for stage in STAGES}}


@dataclass(frozen=True)
class Funnel:
    days: tuple[FunnelDay, ...]  # oldest first, every day present (zeros included)
    last_recorded_at: datetime | None  # when the newest fact was counted: a stalled feed shows here

    def as_json(self) -> dict[str, Any]:
        return {
            "stages": list(STAGES),
            "days": [day.as_json() for day in self.days],
            "last_recorded_at": self.last_recorded_at.isoformat() if self.last_recorded_at else None,
        }


def record_facts(uow: UnitOfWork, facts: Iterable[Fact], now: datetime | None = None) -> int:
    """Counts the facts not counted before, in one transaction, and commits; returns how many were new.

    The caller acknowledges the event only after this returns, so a crash in between means the event
    comes again and finds its keys already here.
    """
    now = now or clock.now()
    new = 0
    for fact in facts:
        values = {"key": fact.key, "stage": fact.stage, "day": fact.day, "conversation_id": fact.conversation_id, "recorded_at": now}
        new += insert_if_absent(uow.session, FunnelFact, values)
    uow.commit()
    return new


@read_only
def funnel_by_day(uow: UnitOfWork, today: date, days: int = DEFAULT_DAYS) -> Funnel:
    """The last `days` days up to `today` (the support desk's date), each stage counted per day."""
    first = today - timedelta(days=days - 1)
    rows = uow.session.execute(
        select(FunnelFact.day, FunnelFact.stage, func.count())
        .where(FunnelFact.day >= first, FunnelFact.day <= today)
        .group_by(FunnelFact.day, FunnelFact.stage)
    ).all()
    counts: dict[date, dict[str, int]] = {}
    for day, stage, count in rows:
        counts.setdefault(day, {})[stage] = int(count)
    latest = uow.session.scalar(select(func.max(FunnelFact.recorded_at)))
    if latest is not None and latest.tzinfo is None:  # SQLite hands back naive UTC
        latest = latest.replace(tzinfo=timezone.utc)
    return Funnel(
        tuple(FunnelDay(first + timedelta(days=offset), counts.get(first + timedelta(days=offset), {})) for offset in range(days)),
        latest,
    )
