"""A real Sanic server on a free loopback port inside an async test (sanic-testing is not installed)."""

from __future__ import annotations

import socket
from contextlib import asynccontextmanager
from typing import AsyncIterator

from sanic import Sanic


@asynccontextmanager
async def serving(app: Sanic) -> AsyncIterator[str]:
    """Starts `app` with its listeners, yields its base URL, and shuts it down afterwards."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))  # Sanic treats port 0 as "use 8000", so bind the socket ourselves
    running = await app.create_server(sock=listening, return_asyncio_server=True)
    await running.startup()
    await running.before_start()
    await running.after_start()
    try:
        yield f"http://127.0.0.1:{running.server.sockets[0].getsockname()[1]}"
    finally:
        await running.before_stop()
        running.close()
        await running.wait_closed()
        await running.after_stop()
        Sanic._app_registry.pop(app.name, None)
