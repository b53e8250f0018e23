"""Measured database levers for `check_stock`, as before/after pairs on the same data.

Run with `python -m bench.levers.database [--skus N]`. Each "after" reproduces a proposed change to
files the benchmark does not own, applied only inside this process for the measurement:

- catalogue signature: `bot.services.catalog._signature` scans products, variants and stores on every
  `_index()` call, and `check_stock` calls `_index()` twice (colour, then size). "after" remembers the
  signature for one second per engine (the index itself is already cached for 300 s).
- pooled SQLite: SQLAlchemy 1.4 gives file SQLite a NullPool, so every unit of work opens a new
  connection and runs four PRAGMAs. "after" uses a QueuePool with the same connect/begin hooks.
- PostgreSQL pre-ping: `pool_pre_ping=True` costs one extra round trip per checkout.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from bench import dbbench
from bench.report import latency_summary
from bot import db as bot_db
from bot.config import Settings
from bot.services import catalog
from bot.services.inventory import check_stock
from bot.shop import Shop

SIGNATURE_TTL_SECONDS = 1.0


@contextmanager
def remembered_signature() -> Iterator[None]:
    """Patches catalog._signature to reuse its last answer for SIGNATURE_TTL_SECONDS per engine."""
    original = catalog._signature
    remembered: dict[Engine, tuple[float, tuple[object, ...]]] = {}
    lock = threading.Lock()

    def signature(uow):  # type: ignore[no-untyped-def]
        engine = uow.session.get_bind()
        now = time.monotonic()
        with lock:
            hit = remembered.get(engine)
        if hit and now - hit[0] < SIGNATURE_TTL_SECONDS:
            return hit[1]
        value = original(uow)
        with lock:
            remembered[engine] = (now, value)
        return value

    catalog._signature = signature
    try:
        yield
    finally:
        catalog._signature = original


def pooled_sqlite_engine(url: str) -> Engine:
    """bot.db.build_engine's SQLite engine, with a QueuePool instead of 1.4's NullPool."""
    engine = create_engine(
        url, future=True, poolclass=QueuePool, pool_size=5, max_overflow=10,
        connect_args={"timeout": 30, "check_same_thread": False},
    )
    event.listen(engine, "connect", bot_db._configure_sqlite_connection)
    event.listen(engine, "begin", bot_db._begin_immediate)
    return engine


def _lookup_timer(shop: Shop, scale: dbbench.Scale, seed: int) -> Callable[[], None]:
    rng = random.Random(seed)

    def one_lookup() -> None:
        colour, size = rng.choice(dbbench.COLOURS_AND_SIZES)
        shop.run(check_stock, f"BP-{rng.randrange(scale.products):05d}", f"st{rng.randrange(scale.stores):03d}", colour, size)

    return one_lookup


def measure(shop: Shop, scale: dbbench.Scale, lookups: int, name: str) -> dict[str, float]:
    call = _lookup_timer(shop, scale, seed=5)
    dbbench.time_calls(call, 20)
    figures = latency_summary(dbbench.time_calls(call, lookups))
    print(f"{name:45s} p50 {figures['p50_ms']:7.2f} ms   p99 {figures['p99_ms']:7.2f} ms", flush=True)
    return figures


def run(scale: dbbench.Scale, lookups: int) -> dict[str, Any]:
    results: dict[str, Any] = {"scale": {"skus": scale.skus, "stores": scale.stores, "rows": scale.rows}, "lookups": lookups}
    with dbbench.sqlite_database() as url:
        shop = dbbench._shop(url)
        dbbench.stock_lookups(shop, scale, 10)  # fills the database
        results["sqlite_as_shipped"] = measure(shop, scale, lookups, "sqlite_as_shipped")
        with remembered_signature():
            results["sqlite_signature_remembered"] = measure(shop, scale, lookups, "sqlite_signature_remembered")
        shop.close()
        pooled = Shop(Settings(database_url=url), engine=pooled_sqlite_engine(url))
        results["sqlite_pooled"] = measure(pooled, scale, lookups, "sqlite_pooled")
        with remembered_signature():
            results["sqlite_pooled_and_signature_remembered"] = measure(pooled, scale, lookups, "sqlite_pooled_and_signature_remembered")
        pooled.close()
    if dbbench.postgres_available() is None:
        with dbbench.postgres_database() as url:
            shop = dbbench._shop(url)
            dbbench.stock_lookups(shop, scale, 10)
            results["postgres_as_shipped"] = measure(shop, scale, lookups, "postgres_as_shipped")
            with remembered_signature():
                results["postgres_signature_remembered"] = measure(shop, scale, lookups, "postgres_signature_remembered")
            shop.close()
            no_ping = Shop(Settings(database_url=url), engine=create_engine(url, future=True, pool_size=10, max_overflow=20))
            with remembered_signature():
                results["postgres_signature_remembered_no_pre_ping"] = measure(no_ping, scale, lookups, "postgres_signature_remembered_no_pre_ping")
            no_ping.close()
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.levers.database")
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--lookups", type=int, default=1000)
    args = parser.parse_args(argv)
    results = run(dbbench.Scale(args.skus, args.stores), args.lookups)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
