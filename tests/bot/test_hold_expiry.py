"""The hold expiry sweep: due unpaid holds expire once, release stock once, and survive restarts."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.kernel import clock
from bot.kernel.models import AuditEntry, PaymentLink, Timer
from bot.ordering import orders
from bot.ordering import hold_expiry
from bot.kernel.timers import claim_due_timer
from bot.ordering.pay_links import create_payment_link
from bot.payments.sandbox import SandboxProvider
from bot.kernel.shop import Shop
from tests.bot.factories import DEFAULT_NOW, add_store, add_variant, place, seed_small_shop, set_stock, stock

NOW = DEFAULT_NOW
DUE_ORDERS = 30


def _many_due_orders(shop: Shop) -> tuple[set[str], str]:
    add_store(shop, "leeds")
    add_variant(shop, "SKU-1")
    set_stock(shop, "leeds", "SKU-1", on_hand=100)
    due = {place(shop, f"c{i}", {"SKU-1": 2}, now=NOW - timedelta(hours=3)).reference for i in range(DUE_ORDERS)}
    # One hold that is not due yet: its units must stay reserved whatever the sweepers do.
    live = place(shop, "live", {"SKU-1": 3}, now=NOW).reference
    assert stock(shop, "leeds", "SKU-1") == (100, 2 * DUE_ORDERS + 3)
    return due, live


def _two_sweepers(shop: Shop) -> list[str]:
    start = threading.Barrier(2)

    def sweeper(_: int) -> list[str]:
        start.wait()
        expired: list[str] = []
        while batch := shop.run(hold_expiry.expire_due_holds, NOW, 4):
            expired.extend(order.reference for order in batch)
        return expired

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(sweeper, range(2)))
    return results[0] + results[1]


def _check_each_released_once(shop: Shop, due: set[str], live: str, expired: list[str]) -> None:
    counts = Counter(expired)
    assert set(counts) == due
    assert max(counts.values()) == 1
    assert stock(shop, "leeds", "SKU-1") == (100, 3)  # a double release would dip below the live hold
    assert shop.run(orders.order_status, live).status == "pending_payment"
    with shop.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "order_expired")) == DUE_ORDERS
        open_timers = uow.session.execute(select(Timer.kind, Timer.subject).where(Timer.fired_at.is_(None))).all()
    # The live hold's expiry is still pending, and each expired order has exactly one notice waiting.
    assert Counter(kind for kind, _subject in open_timers) == Counter({"hold_expiry": 1, "hold_expired": DUE_ORDERS})
    assert {subject for kind, subject in open_timers if kind == "hold_expired"} == due


def test_two_sweepers_release_each_hold_once_sqlite(shop) -> None:
    due, live = _many_due_orders(shop)
    expired = _two_sweepers(shop)
    _check_each_released_once(shop, due, live, expired)


@pytest.mark.postgres
def test_two_sweepers_release_each_hold_once_postgres(pg_shop) -> None:
    due, live = _many_due_orders(pg_shop)
    expired = _two_sweepers(pg_shop)
    _check_each_released_once(pg_shop, due, live, expired)


@pytest.mark.postgres
def test_a_slow_sweeper_does_not_block_another_postgres(pg_shop) -> None:
    """SKIP LOCKED: while one sweeper holds a claimed timer, another takes the rest at once."""
    due, _live = _many_due_orders(pg_shop)
    with pg_shop.uow() as slow:
        claimed = claim_due_timer(slow, (orders.HOLD_EXPIRY_TIMER,), NOW)  # claimed, transaction left open
        assert claimed is not None
        with ThreadPoolExecutor(max_workers=1) as pool:
            others = pool.submit(pg_shop.run, hold_expiry.expire_due_holds, NOW).result(timeout=20)
        assert len(others) == DUE_ORDERS - 1
        slow.rollback()  # the slow sweeper dies: its claim is released with its transaction
    rest = pg_shop.run(hold_expiry.expire_due_holds, NOW)
    assert {o.reference for o in others} | {o.reference for o in rest} == due and len(rest) == 1


def test_expiry_tells_who_to_notify_and_closes_open_links(shop) -> None:
    ids = seed_small_shop(shop)
    placed = place(shop, "sms:+447700900123", {ids.jacket: 2}, channel="sms", now=NOW)
    provider = SandboxProvider("whsec_x", "http://shop.test")
    shop.run(create_payment_link, provider, placed.reference, NOW)

    assert shop.run(hold_expiry.expire_due_holds, NOW + timedelta(minutes=119)) == []
    [expired] = shop.run(hold_expiry.expire_due_holds, NOW + timedelta(minutes=120))
    assert (expired.reference, expired.conversation_id, expired.channel, expired.contact_phone, expired.store_id) == (
        placed.reference,
        "sms:+447700900123",
        "sms",
        "+447700900123",
        ids.leeds,
    )
    assert stock(shop, ids.leeds, ids.jacket) == (5, 0)
    with shop.uow() as uow:
        assert uow.session.scalars(select(PaymentLink.status)).one() == "expired"
    assert shop.run(hold_expiry.expire_due_holds, NOW + timedelta(days=1)) == []


def test_paid_and_cancelled_orders_are_not_expired(shop) -> None:
    ids = seed_small_shop(shop)
    paid = place(shop, "c1", {ids.jacket: 1}, now=NOW)
    cancelled = place(shop, "c2", {ids.fleece: 1}, now=NOW)
    shop.run(orders.mark_paid, paid.reference, now=NOW)
    shop.run(orders.cancel_order, cancelled.reference, "no", "shopper")
    assert shop.run(hold_expiry.expire_due_holds, NOW + timedelta(days=1)) == []
    assert shop.run(orders.order_status, paid.reference).status == "paid"
    assert stock(shop, ids.leeds, ids.jacket) == (5, 1)
    assert stock(shop, ids.leeds, ids.fleece) == (10, 0)


def test_holds_survive_a_restart(shop, tmp_path) -> None:
    """Timers live in the database: a new process (new engine) on the same file still expires them."""
    from bot.kernel.db import build_engine

    ids = seed_small_shop(shop)
    placed = place(shop, "c1", {ids.jacket: 1}, now=NOW)
    shop.close()
    restarted = Shop(shop.settings, engine=build_engine(str(shop.engine.url)))
    try:
        [expired] = restarted.run(hold_expiry.expire_due_holds, NOW + timedelta(hours=2))
        assert expired.reference == placed.reference
    finally:
        restarted.close()


def test_a_failing_timer_is_retried_then_given_up(shop, monkeypatch) -> None:
    ids = seed_small_shop(shop)
    place(shop, "c1", {ids.jacket: 1}, now=NOW)

    def explode(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(hold_expiry, "_expire_one", explode)
    for attempt in range(1, orders.MAX_TIMER_ATTEMPTS + 1):
        sweep_at = NOW + timedelta(hours=3, minutes=10 * attempt)  # past each retry's back-off
        assert shop.run(hold_expiry.expire_due_holds, sweep_at) == []
        with shop.uow() as uow:
            timer = uow.session.scalars(select(Timer)).one()
            assert timer.attempts == attempt and "disk on fire" in timer.last_error
            assert (timer.fired_at is None) == (attempt < orders.MAX_TIMER_ATTEMPTS)
            if timer.fired_at is None:
                assert clock.as_utc(timer.due_at) == sweep_at + timedelta(minutes=attempt)
