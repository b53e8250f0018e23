"""The commerce core as one object per process: settings, engine and a way to run use cases.

Servers, actions and connectors build one `Shop` when they start (never at import time) and run
service functions through it. Services are plain synchronous functions taking a unit of work, so
async callers use `Shop.call`, which runs them on a worker thread instead of blocking the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, TypeVar

from sqlalchemy.engine import Engine

from bot.kernel.config import Settings, load_settings
from bot.kernel.db import build_engine, build_session_factory
from bot.kernel.unit_of_work import ReadOnlyUnitOfWork, UnitOfWork, is_read_only

Result = TypeVar("Result")


class Shop:
    def __init__(self, settings: Settings | None = None, engine: Engine | None = None) -> None:
        self.settings = settings or load_settings()
        self.engine = engine or build_engine(self.settings.database_url, echo=self.settings.sql_echo)
        self.session_factory = build_session_factory(self.engine)
        self.read_session_factory = build_session_factory(self.engine, read_only=True)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def run(self, use_case: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
        """Runs a service function with a fresh unit of work (read-only for @read_only ones), on the calling thread."""
        unit = ReadOnlyUnitOfWork(self.read_session_factory) if is_read_only(use_case) else self.uow()
        with unit as uow:
            return use_case(uow, *args, **kwargs)

    async def call(self, use_case: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
        """Runs a service function on a worker thread so the event loop keeps serving."""
        return await asyncio.to_thread(self.run, use_case, *args, **kwargs)

    def close(self) -> None:
        self.engine.dispose()


_process_shop: Shop | None = None


def process_shop() -> Shop:
    """The shop of this process, built on first use from the environment."""
    global _process_shop
    if _process_shop is None:
        _process_shop = Shop()
    return _process_shop


def set_process_shop(shop: Shop | None) -> None:
    """Replaces the process's shop (tests point actions at their own database this way)."""
    global _process_shop
    _process_shop = shop
