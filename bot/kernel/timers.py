"""Durable timers shared by every sweeper: scheduling once, claiming exactly once, backing off on failure.

A timer is a `timers` row (kind, subject, due_at). The (kind, subject) pair is unique, so scheduling the
same event twice (two replicas, a double click, a retried request) leaves one row. Sweepers on every
replica claim due timers one at a time:

* PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, then a conditional UPDATE, so concurrent sweepers
  take different rows and never wait for each other.
* SQLite: every transaction starts with BEGIN IMMEDIATE (see `bot.kernel.db`), so sweepers are serialised and
  the conditional UPDATE alone makes the claim exclusive.

Two claiming styles:

* `lease=None` (work done inside the claiming transaction, e.g. expiring a hold): the claim sets
  `fired_at` and the work commits with it.
* `lease=timedelta` (work done outside the database, e.g. an HTTP call to Rasa): the claim moves
  `due_at` forward by the lease and leaves `fired_at` empty; the caller marks the timer done when the
  work succeeded. If the claiming process dies mid-way, another sweeper takes the timer again once the
  lease runs out, so nothing is lost; while the lease runs, nobody else takes it, so nothing doubles.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.kernel.models import Timer
from bot.kernel.db import insert_if_absent
from bot.kernel.unit_of_work import UnitOfWork

MAX_ERROR_LENGTH = 2000


def schedule_timer(
    uow: UnitOfWork,
    kind: str,
    subject: str,
    due_at: datetime,
    *,
    fired_at: datetime | None = None,
    last_error: str | None = None,
) -> bool:
    """Adds a timer unless one of the same (kind, subject) exists; joins the caller's transaction.

    Args:
        uow: the caller's unit of work (not committed here).
        kind: what the timer is for ("ready_alert", "hold_expiry", ...).
        subject: what it is about (an order reference or id).
        due_at: when it should fire.
        fired_at: set to record a timer that is settled at birth (e.g. an alert refused for opt-out).
        last_error: why it was settled at birth.

    Returns:
        True if this call created the timer, False if it already existed (the event was scheduled before).
    """
    values: dict[str, object] = {"kind": kind, "subject": subject, "due_at": due_at, "attempts": 0}
    if fired_at is not None:
        values["fired_at"] = fired_at
    if last_error is not None:
        values["last_error"] = last_error[:MAX_ERROR_LENGTH]
    return insert_if_absent(uow.session, Timer, values)


def claim_due_timer(
    uow: UnitOfWork, kinds: Collection[str], now: datetime, *, lease: timedelta | None = None, subject: str | None = None
) -> Timer | None:
    """Takes one due, unfired timer of `kinds` that no other sweeper holds (no commit).

    Args:
        uow: the caller's unit of work; the caller commits (with its work, or right away when leasing).
        kinds: timer kinds this sweeper handles.
        now: the sweep's clock.
        lease: None to fire the timer in this transaction; a duration to lease it instead (see module doc).
        subject: only this subject's timer (a route handling the event it just scheduled).

    Returns:
        The claimed timer (its `attempts` attribute still holds the count before this claim), or None.
    """
    query = (
        select(Timer)
        .where(Timer.kind.in_(list(kinds)), Timer.fired_at.is_(None), Timer.due_at <= now)
        .order_by(Timer.due_at, Timer.id)
        .limit(1)
    )
    if subject is not None:
        query = query.where(Timer.subject == subject)
    if uow.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    timer = uow.session.scalars(query).first()
    if timer is None:
        return None
    values: dict[str, object] = {"attempts": Timer.attempts + 1}
    if lease is None:
        values["fired_at"] = now
    else:
        values["due_at"] = now + lease
    claimed = uow.session.execute(
        update(Timer)
        .where(Timer.id == timer.id, Timer.fired_at.is_(None), Timer.due_at <= now)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return timer if claimed.rowcount == 1 else None


def settle_timer(uow: UnitOfWork, timer_id: int, now: datetime, note: str | None = None) -> None:
    """Marks a leased timer done (no commit); `note` records why when it was skipped rather than done."""
    uow.session.execute(
        update(Timer)
        .where(Timer.id == timer_id)
        .values(fired_at=now, last_error=None if note is None else note[:MAX_ERROR_LENGTH])
        .execution_options(synchronize_session=False)
    )


def exponential_backoff(attempts_made: int, base: timedelta, cap: timedelta) -> timedelta:
    """base, 2·base, 4·base, ... capped: the wait before attempt `attempts_made + 1`."""
    return min(base * (2 ** max(attempts_made - 1, 0)), cap)


def note_timer_failure(
    uow: UnitOfWork,
    timer_id: int,
    attempts: int,
    error: BaseException | str,
    now: datetime,
    *,
    max_attempts: int,
    retry_in: timedelta,
) -> bool:
    """Puts a failed timer back for a later sweep, or gives up after `max_attempts`; commits.

    Args:
        attempts: how many attempts have now been made (including the one that failed).
        error: what went wrong; kept in `last_error` so staff can see it.
        retry_in: the wait before the next attempt.

    Returns:
        True if the timer will be tried again, False if it gave up.
    """
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    retrying = attempts < max_attempts
    uow.session.execute(
        update(Timer)
        .where(Timer.id == timer_id)
        .values(
            attempts=attempts,
            last_error=message[:MAX_ERROR_LENGTH],
            due_at=now + retry_in,
            fired_at=None if retrying else now,
        )
        .execution_options(synchronize_session=False)
    )
    uow.commit()
    return retrying
