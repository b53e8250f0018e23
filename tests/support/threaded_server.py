"""A real Sanic server on loopback, run on an event loop of its own in a background thread.

Hypothesis drives synchronous test functions, so the fuzz suites serve the app from a thread and
talk plain HTTP to it, exactly as a provider or a browser would.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, Awaitable, Iterator

from sanic import Sanic

from tests.support.sanic_server import serving


class ServerThread:
    """A started server: its base URL, and a way to run coroutines on its loop (draining tasks)."""

    def __init__(self, base_url: str, loop: asyncio.AbstractEventLoop) -> None:
        self.base_url = base_url
        self.loop = loop

    def run(self, work: Awaitable[Any], timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)  # type: ignore[arg-type]


@contextmanager
def serving_in_thread(app: Sanic, timeout: float = 30) -> Iterator[ServerThread]:
    """Starts `app` (with its listeners) on a free loopback port in a thread; stops it on exit."""
    loop = asyncio.new_event_loop()
    ready: Future[str] = Future()
    stop: dict[str, asyncio.Event] = {}

    async def main() -> None:
        stop["event"] = asyncio.Event()
        try:
            async with serving(app) as base_url:
                ready.set_result(base_url)
                await stop["event"].wait()
        except BaseException as error:  # noqa: BLE001 - hand a start-up failure to the test thread
            if not ready.done():
                ready.set_exception(error)
            raise

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), name=f"sanic-{app.name}", daemon=True)
    thread.start()
    try:
        yield ServerThread(ready.result(timeout), loop)
    finally:
        if "event" in stop:
            loop.call_soon_threadsafe(stop["event"].set)
        thread.join(timeout)
        loop.close()
