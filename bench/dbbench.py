"""Database figures: stock lookups over a large inventory, and a reservation race on PostgreSQL.

The scratch databases live outside the repository (a temporary SQLite file; a PostgreSQL database
named bench_<random> that is dropped afterwards). Tables come from the project's own models, so
the indexes measured are the ones the application ships.
"""

from __future__ import annotations

import io
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.engine.url import make_url

from bot.kernel.config import Settings
from bot.kernel.db import build_engine
from bot.ordering.rules import OutOfStock
from bot.kernel.models import Base, CartLine, Inventory, Order, Product, Store, Variant
from bot.ordering import placing
from bot.catalog.inventory import check_stock
from bot.kernel.shop import Shop

POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
COLOURS_AND_SIZES = (("Black", "S"), ("Black", "M"), ("Navy", "M"), ("Red", "L"), ("Grey", "XL"))
STAMP = "2030-01-01 00:00:00+00"


@dataclass(frozen=True)
class Scale:
    skus: int
    stores: int

    @property
    def products(self) -> int:
        return self.skus // len(COLOURS_AND_SIZES)

    @property
    def rows(self) -> int:
        return self.skus * self.stores


def _progress(text: str) -> None:
    print(f"    {text}", file=sys.stderr, flush=True)


def _sku(product: int, variant: int) -> str:
    return f"BX-{product:05d}-{variant}"


def _create_catalogue(shop: Shop, scale: Scale) -> None:
    """100 stores, products with five variants each: ORM inserts in bulk (small tables)."""
    rng = random.Random(7)
    with shop.uow() as uow:
        uow.session.execute(
            insert(Store),
            [
                dict(
                    id=f"st{index:03d}", name=f"Bench Store {index}", address=f"{index} High Street", postcode="M1 1AA",
                    phone="+441614960000", latitude=53.3 + rng.random() * 0.6, longitude=-2.6 + rng.random() * 0.8,
                    timezone="Europe/London", currency="GBP", locale="en_GB", safety_buffer=1, pay_at_pickup=True,
                )
                for index in range(scale.stores)
            ],
        )
        uow.session.execute(
            insert(Product),
            [
                dict(id=f"BP-{index:05d}", name=f"Bench Product {index}", category="bench", brand="Fellside", description="")
                for index in range(scale.products)
            ],
        )
        uow.session.execute(
            insert(Variant),
            [
                dict(sku=_sku(index, v), product_id=f"BP-{index:05d}", colour=colour, size=size, price_minor=4999, currency="GBP")
                for index in range(scale.products)
                for v, (colour, size) in enumerate(COLOURS_AND_SIZES)
            ],
        )
        uow.commit()


def _inventory_rows(scale: Scale) -> Iterator[tuple[str, str, int]]:
    rng = random.Random(11)
    for store in range(scale.stores):
        for product in range(scale.products):
            for variant in range(len(COLOURS_AND_SIZES)):
                yield f"st{store:03d}", _sku(product, variant), rng.choice((0, 0, 1, 2, 3, 5, 8, 13, 20))


def _bulk_inventory(shop: Shop, scale: Scale) -> float:
    """Writes scale.rows inventory rows with the driver's fastest path; returns seconds taken."""
    started = time.perf_counter()
    raw = shop.engine.raw_connection()
    try:
        if shop.engine.dialect.name == "sqlite":
            cursor = raw.cursor()
            cursor.execute("BEGIN")
            cursor.executemany(
                "INSERT INTO inventory (store_id, sku, on_hand, reserved, updated_at) VALUES (?, ?, ?, 0, ?)",
                ((store, sku, on_hand, STAMP) for store, sku, on_hand in _inventory_rows(scale)),
            )
            cursor.execute("COMMIT")
        else:
            cursor = raw.cursor()
            buffer = io.StringIO()
            for store, sku, on_hand in _inventory_rows(scale):
                buffer.write(f"{store}\t{sku}\t{on_hand}\t0\t{STAMP}\n")
            buffer.seek(0)
            cursor.copy_expert("COPY inventory (store_id, sku, on_hand, reserved, updated_at) FROM STDIN", buffer)
            raw.commit()
            cursor.execute("ANALYZE")
            raw.commit()
        cursor.close()
    finally:
        raw.close()
    return time.perf_counter() - started


def time_calls(call: Callable[[], object], count: int) -> list[float]:
    """Latencies in seconds of `count` sequential calls."""
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - started)
    return latencies


def stock_lookups(shop: Shop, scale: Scale, lookups: int) -> dict[str, object]:
    """Fills the inventory and times `check_stock` for one product/colour/size at one store."""
    _create_catalogue(shop, scale)
    load_s = _bulk_inventory(shop, scale)
    _progress(f"{shop.engine.dialect.name}: {scale.rows:,} inventory rows written in {load_s:.1f} s")
    rng = random.Random(3)

    def one_lookup() -> None:
        product = rng.randrange(scale.products)
        colour, size = rng.choice(COLOURS_AND_SIZES)
        shop.run(check_stock, f"BP-{product:05d}", f"st{rng.randrange(scale.stores):03d}", colour, size)

    time_calls(one_lookup, 20)  # warm the catalogue name index and the connection pool
    latencies = time_calls(one_lookup, lookups)
    with shop.uow() as uow:
        rows = uow.session.scalar(select(func.count()).select_from(Inventory))
    return {"rows": rows, "load_s": load_s, "latencies_s": latencies}


def reservation_race(shop: Shop, attempts: int, units: int, workers: int) -> dict[str, object]:
    """`attempts` shoppers with one unit in their cart race `workers` at a time to place an order for `units` units."""
    with shop.uow() as uow:
        uow.session.execute(
            insert(Store),
            [dict(id="race", name="Race Store", address="1 Race Street", postcode="M1 1AA", phone="+441614960000",
                  latitude=53.48, longitude=-2.24, timezone="Europe/London", currency="GBP", locale="en_GB",
                  safety_buffer=0, pay_at_pickup=True)],
        )
        uow.session.execute(insert(Product), [dict(id="RACE", name="Race Jacket", category="bench", brand="", description="")])
        uow.session.execute(
            insert(Variant), [dict(sku="RACE-1", product_id="RACE", colour="Red", size="M", price_minor=100, currency="GBP")]
        )
        uow.session.execute(insert(Inventory), [dict(store_id="race", sku="RACE-1", on_hand=units, reserved=0)])
        uow.session.execute(insert(CartLine), [dict(owner_key=f"race-{i}", sku="RACE-1", quantity=1) for i in range(attempts)])
        uow.commit()

    gate = threading.Barrier(workers)
    local = threading.local()

    def attempt(index: int) -> str:
        if not getattr(local, "started", False):
            local.started = True
            gate.wait(timeout=60)  # every worker fires at once
        try:
            shop.run(placing.place_order, f"race-{index}", "web", "race", "link")
            return "placed"
        except OutOfStock:
            return "refused"
        except Exception as error:  # noqa: BLE001 - counted and reported, never hidden
            return f"error: {type(error).__name__}"

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(attempt, range(attempts)))
    wall = time.perf_counter() - started
    with shop.uow() as uow:
        reserved = uow.session.scalar(select(Inventory.reserved).where(Inventory.sku == "RACE-1"))
        placed_orders = uow.session.scalar(select(func.count()).select_from(Order).where(Order.store_id == "race"))
    return {
        "attempts": attempts,
        "units": units,
        "workers": workers,
        "successes": outcomes.count("placed"),
        "refused": outcomes.count("refused"),
        "errors": len(outcomes) - outcomes.count("placed") - outcomes.count("refused"),
        "reserved_in_db": reserved,
        "orders_in_db": placed_orders,
        "wall_s": wall,
        "reservations_per_s": attempts / wall if wall else 0.0,
    }


def _shop(url: str) -> Shop:
    engine = build_engine(url)
    Base.metadata.create_all(engine)
    return Shop(Settings(database_url=url), engine=engine)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="fellside-bench-") as directory:
        yield f"sqlite:///{Path(directory) / 'bench.db'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A scratch database on the local server, dropped afterwards (also after a failure)."""
    admin_url = make_url(POSTGRES_ADMIN_URL)
    if admin_url.host not in {"127.0.0.1", "localhost"}:
        raise RuntimeError(f"the benchmark only uses a loopback PostgreSQL, not {admin_url.host}")
    admin = create_engine(admin_url, future=True, isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))  # name is ours: bench_ + hex
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(admin, name)
        admin.dispose()


def _drop_database(admin: Engine, name: str, attempts: int = 5) -> None:
    """Drops the scratch database, retrying while the server is busy or restarting (shared machine)."""
    for attempt in range(attempts):
        try:
            with admin.connect() as connection:
                connection.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
                )
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            return
        except Exception as error:  # noqa: BLE001 - retried, then reported
            if attempt == attempts - 1:
                _progress(f"could not drop scratch database {name}: {str(error).splitlines()[0]} (drop it by hand)")
                return
            time.sleep(2)


def postgres_available() -> str | None:
    """None when the local PostgreSQL answers, else why not."""
    try:
        admin = create_engine(make_url(POSTGRES_ADMIN_URL), future=True)
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
        admin.dispose()
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "not available"
        return str(error).splitlines()[0]


def run_database_benchmarks(scale: Scale, lookups: int, race_attempts: int, race_units: int, race_workers: int) -> dict[str, object]:
    """Every database figure; PostgreSQL ones are replaced by the reason when no server answers."""
    results: dict[str, object] = {"scale": {"skus": scale.skus, "stores": scale.stores, "rows": scale.rows}}
    with sqlite_database() as url:
        shop = _shop(url)
        try:
            results["sqlite_lookup"] = stock_lookups(shop, scale, lookups)
        finally:
            shop.close()
    unavailable = postgres_available()
    if unavailable:
        results["postgres_unavailable"] = unavailable
        return results
    try:
        with postgres_database() as url:
            shop = _shop(url)
            try:
                results["postgres_lookup"] = stock_lookups(shop, scale, lookups)
                _progress(f"postgresql: {race_attempts} reservations racing for {race_units} units")
                results["postgres_race"] = reservation_race(shop, race_attempts, race_units, race_workers)
            finally:
                shop.close()
    except OperationalError as error:  # the shared server restarted under us: report, keep the other figures
        results["postgres_unavailable"] = f"PostgreSQL failed mid-run: {str(error).splitlines()[0]}"
    return results
