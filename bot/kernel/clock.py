"""The commerce core's one clock: the time now in UTC, and stored timestamps read back as UTC.

Every service that takes an optional `now` falls back to `now()` here, so a test freezes time for
the whole core in one place (`frozen_at`) instead of patching each module. Monotonic timers for
timeouts and stream lifetimes stay on `time.monotonic`: they measure durations, not the date.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator, overload

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware in UTC (or the moment a test froze it at)."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def epoch_seconds() -> float:
    """`now()` as seconds since the epoch, for cookies and signatures that carry a number."""
    return now().timestamp()


@overload
def as_utc(moment: datetime) -> datetime: ...


@overload
def as_utc(moment: None) -> None: ...


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (None stays None).

    SQLite hands timestamps back without a zone; every timestamp is written in UTC, so a naive one is UTC.
    """
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Makes `now()` answer `moment` (an aware datetime) until the block ends; for tests."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("freeze the clock at an aware datetime")
    before, _frozen = _frozen, as_utc(moment)
    try:
        yield
    finally:
        _frozen = before
