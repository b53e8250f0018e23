"""Running connector blueprints on a real loopback Sanic server, and a fake JSON provider API.

sanic-testing is not installed and Sanic 21.12's ASGI path needs a lifespan to finalise its
routers, so tests serve the app for real (on the test's own event loop) and talk HTTP with httpx.
"""

from __future__ import annotations

import json
import socket
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

import httpx
from aiohttp import web
from sanic import Blueprint, Sanic

from rasa.core.channels.channel import UserMessage


class MessageRecorder:
    """Stands in for Rasa's on_new_message: records every UserMessage it is given."""

    def __init__(self) -> None:
        self.messages: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)

    @property
    def texts(self) -> list[str]:
        return [str(message.text) for message in self.messages]


@asynccontextmanager
async def serve_blueprint(blueprint: Blueprint, url_prefix: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """Serves the blueprint on 127.0.0.1:<free port>; yields an httpx client with that base URL."""
    # Sanic rewrites some methods at startup ("touchup"); test mode keeps the originals so several
    # apps can start in one process (what sanic-testing does).
    Sanic.test_mode = True
    app = Sanic(f"test_{uuid.uuid4().hex[:10]}")
    app.config.ACCESS_LOG = False
    app.blueprint(blueprint, url_prefix=url_prefix)
    # Sanic treats port=0 as "use 8000": bind a free loopback port ourselves and hand over the socket.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()


@dataclass
class RecordedCall:
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class FakeJsonApi:
    """A provider API answering JSON POSTs on loopback (aiohttp), recording each call's exact JSON."""

    answers: list[tuple[int, Any]] = field(default_factory=list)
    default_answer: Any = field(default_factory=lambda: {"ok": True})
    calls: list[RecordedCall] = field(default_factory=list)
    base_url: str = ""

    def answer_next(self, status: int, body: Any) -> None:
        self.answers.append((status, body))

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.calls.append(RecordedCall(request.path, dict(request.query), json.loads(raw) if raw else None))
        status, body = self.answers.pop(0) if self.answers else (200, self.default_answer)
        return web.json_response(body, status=status)


@asynccontextmanager
async def fake_json_api(default_answer: Any) -> AsyncIterator[FakeJsonApi]:
    api = FakeJsonApi(default_answer=default_answer)
    app = web.Application()
    app.router.add_post("/{tail:.*}", api._handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api.base_url = f"http://127.0.0.1:{port}"
    try:
        yield api
    finally:
        await runner.cleanup()
