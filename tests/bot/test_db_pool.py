"""PostgreSQL connections are pinged only after being idle (bot.db): the saving and what it costs."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot import db
from bot.shop import Shop


def _backend_pid(shop: Shop) -> int:
    with shop.engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _kill(shop: Shop, pid: int) -> None:
    killer = create_engine(shop.engine.url, future=True, poolclass=NullPool)
    try:
        with killer.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one() is True
    finally:
        killer.dispose()


@pytest.mark.postgres
def test_an_idle_connection_killed_by_the_server_is_replaced_at_checkout(pg_shop: Shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pid = _backend_pid(pg_shop)
    assert _backend_pid(pg_shop) == pid  # the pool hands the same connection back
    _kill(pg_shop, pid)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if it had been idle for a while

    assert _backend_pid(pg_shop) != pid  # no error: the ping found it dead and the pool opened another


@pytest.mark.postgres
def test_a_connection_used_a_moment_ago_is_handed_out_without_a_ping(pg_shop: Shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    pid = _backend_pid(pg_shop)
    _kill(pg_shop, pid)

    with pytest.raises(OperationalError):  # the trade: a connection that died within the window fails once
        _backend_pid(pg_shop)
    assert _backend_pid(pg_shop) != pid  # and the pool has replaced it for the next caller
