"""The login throttle shared by the console and the dashboard: growing delays per (account, client),
atomic under concurrency on SQLite and PostgreSQL, and no lock-out of the owner's own address."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from bot.kernel.models import AuditEntry
from bot.identity.login_throttle import (
    FREE_FAILURES,
    MAX_DELAY_SECONDS,
    WINDOW_SECONDS,
    claim_login_attempt,
    delay_after,
    login_failed,
    login_succeeded,
)
from bot.kernel.shop import Shop

NOW = 1_800_000_000.0
ATTACKER, OWNER = "203.0.113.7", "198.51.100.2"


def test_the_ladder_grows_and_is_capped() -> None:
    assert [delay_after(n) for n in range(1, FREE_FAILURES + 4)] == [0] * FREE_FAILURES + [1, 2, 4]
    assert delay_after(100) == MAX_DELAY_SECONDS


def test_delays_grow_for_the_guessing_address_only(shop: Shop) -> None:
    for _ in range(FREE_FAILURES):
        assert shop.run(claim_login_attempt, "console", "sam", ATTACKER, now=NOW).allowed
    sixth = shop.run(claim_login_attempt, "console", "sam", ATTACKER, now=NOW)
    seventh = shop.run(claim_login_attempt, "console", "sam", ATTACKER, now=NOW)
    assert sixth.allowed and (seventh.allowed, seventh.retry_after) == (False, 1)
    # The owner, from their own address, is not held up by the attacker's guesses.
    assert shop.run(claim_login_attempt, "console", "SAM", OWNER, now=NOW).allowed
    # Once the delay has passed, one more guess is checked and the next delay doubles.
    assert shop.run(claim_login_attempt, "console", "sam", ATTACKER, now=NOW + 1).allowed
    assert shop.run(claim_login_attempt, "console", "sam", ATTACKER, now=NOW + 1.5).retry_after == 2
    # Dashboards and consoles count separately; a quiet window starts the count again.
    assert shop.run(claim_login_attempt, "store", "sam", ATTACKER, now=NOW + 1.5).allowed
    assert shop.run(claim_login_attempt, "console", "sam", ATTACKER, now=NOW + 3 + WINDOW_SECONDS).allowed


def test_a_successful_login_clears_its_own_count(shop: Shop) -> None:
    for _ in range(FREE_FAILURES + 1):
        shop.run(claim_login_attempt, "store", "leeds", OWNER, now=NOW)
    assert not shop.run(claim_login_attempt, "store", "leeds", OWNER, now=NOW).allowed
    shop.run(login_succeeded, "store", "leeds", OWNER)
    assert all(shop.run(claim_login_attempt, "store", "leeds", OWNER, now=NOW).allowed for _ in range(FREE_FAILURES))


def test_failures_are_audit_logged_with_the_address(shop: Shop) -> None:
    shop.run(login_failed, "store", "leeds", ATTACKER, store_id="leeds")
    with shop.uow() as uow:
        rows = uow.session.execute(select(AuditEntry.actor, AuditEntry.store_id, AuditEntry.action, AuditEntry.detail)).all()
    assert [tuple(row) for row in rows] == [("store:leeds", "leeds", "store_login_failed", {"client": ATTACKER})]


def _concurrent_claims(shop: Shop, attempts: int) -> int:
    barrier = threading.Barrier(attempts)
    allowed: list[bool] = []

    def attempt() -> None:
        barrier.wait()
        allowed.append(shop.run(claim_login_attempt, "console", "sam", ATTACKER, now=NOW).allowed)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(allowed) == attempts
    return sum(allowed)


def test_concurrent_guesses_never_overshoot_on_sqlite(shop: Shop) -> None:
    # The old throttle checked 12 guesses against a limit of 10. All at one instant: 5 free + 1.
    assert _concurrent_claims(shop, 12) == FREE_FAILURES + 1


@pytest.mark.postgres
def test_concurrent_guesses_never_overshoot_on_postgres(pg_shop: Shop) -> None:
    assert _concurrent_claims(pg_shop, 24) == FREE_FAILURES + 1
