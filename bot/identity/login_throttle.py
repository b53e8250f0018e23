"""One login throttle for the agent console and the store dashboard.

Keyed on (account, client address): guessing passwords from one address slows that address down,
while the account's owner, from their own address, logs in as usual. So nobody who knows a
username (or a store id) can lock its owner out, which the old per-username lock-out allowed.

Each attempt is counted *before* its password is checked, in one statement (INSERT ... ON
CONFLICT DO UPDATE ... WHERE), which is atomic on SQLite and PostgreSQL: of many concurrent
guesses only those the ladder allows are checked. The first FREE_FAILURES attempts in a window are
free; after that each waits twice as long as the last (1 s, 2 s, 4 s ... up to MAX_DELAY_SECONDS):
growing delays, never a lock-out. A successful login clears its own (account, client) row. Every
wrong password is audit-logged with the client address.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.kernel import audit, clock
from bot.kernel.models import LoginThrottle
from bot.kernel.unit_of_work import UnitOfWork

FREE_FAILURES = 5
MAX_DELAY_SECONDS = 900
WINDOW_SECONDS = 900  # a pause this long since the last attempt starts the count again
KINDS = frozenset({"console", "store"})


@dataclass(frozen=True)
class LoginGate:
    """Whether this attempt's password may be checked; if not, how many seconds until one may."""

    allowed: bool
    retry_after: int = 0


def _key(kind: str, account: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}")
    return f"{kind}:{account.strip().lower()[:100]}"


def delay_after(failures: int) -> int:
    """Seconds the next attempt waits after `failures` counted attempts (the ladder, for docs and tests)."""
    return 0 if failures <= FREE_FAILURES else min(2 ** (failures - FREE_FAILURES - 1), MAX_DELAY_SECONDS)


def claim_login_attempt(uow: UnitOfWork, kind: str, account: str, client: str, *, now: float | None = None) -> LoginGate:
    """Counts an attempt for (account, client) unless it must wait; atomic under concurrency."""
    now = clock.epoch_seconds() if now is None else now
    table = LoginThrottle.__table__
    insert = postgresql.insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    failures = case((table.c.last_attempt < now - WINDOW_SECONDS, 1), else_=table.c.failures + 1)
    ladder = [(failures <= FREE_FAILURES, 0)] + [
        (failures == FREE_FAILURES + 1 + step, 2**step) for step in range(int(math.log2(MAX_DELAY_SECONDS)) + 1)
    ]
    statement = insert(LoginThrottle).values(
        account=_key(kind, account), client=client[:64], failures=1, last_attempt=now, retry_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["account", "client"],
        set_={"failures": failures, "last_attempt": now, "retry_at": now + case(*ladder, else_=MAX_DELAY_SECONDS)},
        where=table.c.retry_at <= now,
    )
    counted = uow.session.execute(statement).rowcount == 1
    uow.commit()
    if counted:
        return LoginGate(True)
    retry_at = uow.session.scalar(
        select(LoginThrottle.retry_at).where(LoginThrottle.account == _key(kind, account), LoginThrottle.client == client[:64])
    )
    return LoginGate(False, max(1, math.ceil((retry_at or now) - now)))


def login_succeeded(uow: UnitOfWork, kind: str, account: str, client: str) -> None:
    """Clears the count of (account, client): the owner got in."""
    uow.session.execute(
        delete(LoginThrottle).where(LoginThrottle.account == _key(kind, account), LoginThrottle.client == client[:64])
    )
    uow.commit()


def login_failed(uow: UnitOfWork, kind: str, account: str, client: str, *, store_id: str | None = None) -> None:
    """Audit-logs a wrong password (the attempt was already counted by claim_login_attempt)."""
    audit.record(uow, actor=_key(kind, account)[:120], action=f"{kind}_login_failed", store_id=store_id, client=client[:64])
    uow.commit()
