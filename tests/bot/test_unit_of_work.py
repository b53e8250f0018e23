"""Read-only use cases run in a unit of work that cannot commit and, on SQLite, never waits for writers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.kernel.models import Store
from bot.catalog.stores import list_stores
from bot.kernel.unit_of_work import UnitOfWork, is_read_only, read_only
from bot.kernel.shop import Shop
from tests.bot.factories import add_store


@read_only
def sneaky_write(uow: UnitOfWork) -> None:
    uow.session.get(Store, "leeds").name = "Renamed"
    uow.commit()


def test_a_read_only_use_case_cannot_commit(shop: Shop) -> None:
    add_store(shop, "leeds", name="Fellside Leeds")
    with pytest.raises(RuntimeError, match="read-only unit of work cannot commit"):
        shop.run(sneaky_write)
    with shop.uow() as uow:
        assert uow.session.scalars(select(Store.name)).one() == "Fellside Leeds"


def test_readers_do_not_wait_for_a_writer_on_sqlite(shop: Shop) -> None:
    assert is_read_only(list_stores) and shop.engine.dialect.name == "sqlite"
    add_store(shop, "leeds", name="Fellside Leeds")
    with shop.uow() as writer:  # BEGIN IMMEDIATE: holds SQLite's one write lock until the block ends
        writer.session.get(Store, "leeds").name = "Being renamed"
        writer.session.flush()
        # Another connection, DEFERRED: it reads the last committed snapshot. Beginning IMMEDIATE, it would
        # wait out the busy timeout and fail with "database is locked".
        stores = shop.run(list_stores)
        assert [store.name for store in stores] == ["Fellside Leeds"]
