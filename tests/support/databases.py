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


def _admin_engine(admin_url: str) -> Engine:
    # No pool: a connection left dead by a PostgreSQL restart in another test must not be reused.
    return create_engine(admin_url, future=True, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def create_database(admin_url: str, prefix: str) -> str:
    """Creates an empty database named `prefix` + random hex on the admin URL's server; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))  # the name is ours: prefix + hex
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    """Drops a database (if it exists) after ending the sessions still connected to it."""
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        engine.dispose()


@contextmanager
def fresh_postgres_database(admin_url: str = POSTGRES_ADMIN_URL, prefix: str = "shoptest") -> Iterator[str]:
    """Creates an empty database on the test server, yields its URL and drops it afterwards."""
    try:
        engine = _admin_engine(admin_url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any connection failure means "no server here"
        require_service("PostgreSQL", f"{make_url(admin_url).render_as_string(hide_password=True)}: {error}")
    url = create_database(admin_url, prefix)
    try:
        yield url
    finally:
        drop_database(admin_url, str(make_url(url).database))
