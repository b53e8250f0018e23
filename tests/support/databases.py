"""Throwaway databases for tests: a SQLite file per test, or a fresh PostgreSQL database.

PostgreSQL tests run for real wherever a server answers on TEST_POSTGRES_URL (CI has one); elsewhere
they skip, except under CI=true, where a missing service is a failure.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from sqlalchemy.engine.url import make_url

from bot.kernel.db import build_engine
from bot.kernel.models import Base

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_service(name: str, reason: str) -> None:
    """Skips locally, fails in CI: a test that needs a service must not pass silently without it."""
    message = f"{name} is not reachable: {reason}"
    if running_in_ci():
        pytest.fail(message)
    pytest.skip(message)


def sqlite_engine(tmp_path) -> Engine:  # type: ignore[no-untyped-def]
    engine = build_engine(f"sqlite:///{tmp_path / 'test.db'}")
    Base.metadata.create_all(engine)
    return engine


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Creates an empty database on the test server, yields its URL and drops it afterwards."""
    admin_url = make_url(POSTGRES_ADMIN_URL)
    try:
        # No pool: a connection left dead by a PostgreSQL restart in another test must not be reused.
        admin = create_engine(admin_url, future=True, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any connection failure means "no server here"
        require_service("PostgreSQL", f"{admin_url.render_as_string(hide_password=True)}: {error}")
    name = f"shoptest_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
