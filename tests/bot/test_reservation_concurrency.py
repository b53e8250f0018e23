"""Hundreds of shoppers racing for a few units: exactly as many holds succeed as there are units."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from bot.ordering.rules import OutOfStock
from bot.kernel.models import Order
from bot.ordering import cart
from bot.ordering import placing
from bot.kernel.shop import Shop
from tests.bot.factories import add_store, add_variant, set_stock, stock

SHOPPERS = 200
UNITS_FOR_SALE = 5  # on_hand 7, store buffer 2


def _race(shop: Shop, workers: int) -> tuple[list[str], list[OutOfStock]]:
    add_store(shop, "leeds", safety_buffer=2)
    add_variant(shop, "HOT-1")
    add_variant(shop, "HOT-2", price_minor=500)
    set_stock(shop, "leeds", "HOT-1", on_hand=UNITS_FOR_SALE + 2)
    set_stock(shop, "leeds", "HOT-2", on_hand=1000)
    for shopper in range(SHOPPERS):
        # Two lines each, so a loser's first line must be rolled back with the second.
        shop.run(cart.add_to_cart, f"c{shopper}", "HOT-2", 1)
        shop.run(cart.add_to_cart, f"c{shopper}", "HOT-1", 1)

    start = threading.Barrier(workers)
    local = threading.local()

    def attempt(shopper: int) -> str | OutOfStock:
        if not getattr(local, "started", False):
            local.started = True
            start.wait()  # every worker fires at once
        try:
            return shop.run(placing.place_order, f"c{shopper}", "web", "leeds", "link").reference
        except OutOfStock as error:
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(attempt, range(SHOPPERS)))
    placed = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, OutOfStock)]
    assert len(placed) + len(refused) == SHOPPERS  # no other error, no deadlock
    return placed, refused


def _check(shop: Shop, placed: list[str], refused: list[OutOfStock]) -> None:
    assert len(placed) == UNITS_FOR_SALE
    assert len(set(placed)) == UNITS_FOR_SALE
    assert {error.sku for error in refused} == {"HOT-1"}
    assert {error.available for error in refused} == {0}
    assert stock(shop, "leeds", "HOT-1") == (UNITS_FOR_SALE + 2, UNITS_FOR_SALE)
    assert stock(shop, "leeds", "HOT-2") == (1000, UNITS_FOR_SALE)  # losers' first lines rolled back
    with shop.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Order)) == UNITS_FOR_SALE


def test_concurrent_reservations_sqlite(shop) -> None:
    placed, refused = _race(shop, workers=12)
    _check(shop, placed, refused)


@pytest.mark.postgres
def test_concurrent_reservations_postgres(pg_shop) -> None:
    placed, refused = _race(pg_shop, workers=24)
    _check(pg_shop, placed, refused)
