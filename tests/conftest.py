"""Fixtures shared by every test folder."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sanic import Sanic

from bot.kernel import clock
from bot.kernel.config import Settings
from bot.kernel.db import build_engine
from bot.kernel.models import Base
from bot.kernel.shop import Shop, set_process_shop
from tests.support.databases import fresh_postgres_database, sqlite_engine


# Sanic 21.12 refuses a second app with the same name, and rewires its connection handler the first
# time a server starts; test mode allows several servers in one test process.
Sanic.test_mode = True


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "sandbox_webhook_secret": "whsec_test_sandbox_secret",
        "session_secret": "test-session-secret",
        "rasa_token": "test-rasa-token",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@contextmanager
def installed_shop(directory: Path) -> Iterator[Shop]:
    """A shop on an empty SQLite database in `directory`, installed as this process's shop meanwhile."""
    engine = sqlite_engine(directory)
    shop = Shop(make_settings(str(engine.url)), engine=engine)
    set_process_shop(shop)
    try:
        yield shop
    finally:
        set_process_shop(None)
        shop.close()


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    """A shop on an empty SQLite database of its own, also installed as this process's shop."""
    with installed_shop(tmp_path) as shop:
        yield shop


@pytest.fixture
def pg_shop() -> Iterator[Shop]:
    """A shop on a fresh PostgreSQL database (skips locally without a server, fails in CI)."""
    with fresh_postgres_database() as url:
        engine = build_engine(url)
        Base.metadata.create_all(engine)
        shop = Shop(make_settings(url), engine=engine)
        try:
            yield shop
        finally:
            shop.close()


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A copy of the demo catalogue's files that a test may edit (a retailer adding a market, say)."""
    from tests.bot import CATALOG_DIR

    target = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, target)
    return target


@pytest.fixture
def catalog_shop(shop: Shop) -> Shop:
    """A shop with the demo catalogue from data/catalog loaded."""
    from bot.catalog.seed import load_catalog

    shop.run(load_catalog, shop.settings.catalog_dir)
    return shop


@pytest.fixture
def frozen_login_clock() -> Iterator[None]:
    """Stops the clock (bot.kernel.clock), so a test of the login throttle's ladder does not depend on how fast
    the machine is (under load, checking six wrong passwords took longer than the one-second hold they earn)."""
    from datetime import datetime, timezone

    with clock.frozen_at(datetime.fromtimestamp(1_800_000_000, timezone.utc)):
        yield
