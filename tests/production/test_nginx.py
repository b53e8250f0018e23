"""deploy/nginx.conf in front of the replicas: web chat and its SSE stream pass unbuffered, internals stay hidden."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from scripts.stack import free_port
from tests.production.conftest import Production
from tests.production.nginx import running_nginx

pytestmark = [pytest.mark.production, pytest.mark.e2e]


@pytest.fixture
def nginx(production: Production, tmp_path: Path) -> Iterator[str]:
    """nginx in front of the production deployment's replicas; yields the public URL."""
    def port(replica: str) -> int:
        return int(production.url(replica).rsplit(":", 1)[1])

    with running_nginx(tmp_path, [port("rasa-0"), port("rasa-1")], [port("bot-0"), port("bot-1")]) as url:
        yield url


async def test_web_chat_through_nginx_streams_each_line_as_it_happens(nginx: str) -> None:
    conversation_id = f"web-{uuid.uuid4()}"
    received: list[tuple[float, dict]] = []
    streaming = asyncio.Event()

    async def stream() -> None:
        async with httpx.AsyncClient(timeout=None) as http:
            async with http.stream("GET", f"{nginx}/chat/api/stream", params={"conversation_id": conversation_id}) as reply:
                assert reply.headers["content-type"].startswith("text/event-stream")
                streaming.set()
                async for line in reply.aiter_lines():
                    if line.startswith("data: "):
                        received.append((time.monotonic(), json.loads(line.removeprefix("data: "))))

    reader = asyncio.create_task(stream())
    try:
        await asyncio.wait_for(streaming.wait(), 10)
        async with httpx.AsyncClient(timeout=90) as http:
            sent_at = time.monotonic()
            reply = await http.post(f"{nginx}/chat/api/messages", json={"conversation_id": conversation_id, "text": "hi"})
            assert reply.status_code == 200
        deadline = time.monotonic() + 10
        while not any(line["author"] == "bot" for _at, line in received):
            assert time.monotonic() < deadline, received
            await asyncio.sleep(0.05)
    finally:
        reader.cancel()
    first_at, first = received[0]
    assert first["text"] == "hi"
    assert first_at - sent_at < 1.5  # buffered by a proxy, nothing would arrive until the stream closed


def test_only_public_routes_are_public(nginx: str) -> None:
    for method, path in (
        ("POST", "/webhook"),  # the action endpoint
        ("POST", "/webhooks/webchat/webhook"),
        ("POST", "/webhooks/rest/webhook"),
        ("GET", "/conversations/someone/tracker"),  # Rasa's HTTP API
    ):
        assert httpx.request(method, f"{nginx}{path}", json={}, timeout=10).status_code == 404, path
    # A messaging platform's webhook reaches Rasa's connector, which refuses an unsigned request.
    assert httpx.post(f"{nginx}/webhooks/telegram/webhook", json={}, timeout=30).status_code == 403


# --- the app's own 503 passes through, and never takes a replica out of the pool -----------------------

PAY_PAGE = "/pay/cs_sandbox_0123456789abcdef"


@contextmanager
def bot_server_without_database(hits: dict[str, int]) -> Iterator[int]:
    """The real bot server (bot.server.app) on a database that does not answer: every page that needs it
    gets the app's JSON 503 with Retry-After, exactly as during a PostgreSQL restart. Yields its port;
    `hits[name]` counts the requests it served."""
    from sanic import Sanic

    from bot.server.app import create_app
    from bot.kernel.shop import Shop
    from tests.conftest import make_settings
    from tests.support.threaded_server import serving_in_thread

    shop = Shop(make_settings(f"postgresql+psycopg2://nobody@127.0.0.1:{free_port()}/shop"))
    app: Sanic = create_app(shop, name=f"nginx_503_{uuid.uuid4().hex[:8]}", run_sweeper=False)
    hits[app.name] = 0

    @app.on_request
    async def count(_request: object) -> None:
        hits[app.name] += 1

    try:
        with serving_in_thread(app) as server:
            yield int(server.base_url.rsplit(":", 1)[1])
    finally:
        shop.close()


def _assert_the_apps_503(reply: httpx.Response) -> None:
    # The shopper (or the pay page's form post) gets the app's answer, not nginx's "502 Bad Gateway" page.
    assert reply.status_code == 503, reply.text[:300]
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.headers.get("retry-after") == "5"
    assert "unavailable for a moment" in reply.json()["error"]


def test_the_apps_503_passes_through_and_marks_no_replica_down(tmp_path: Path) -> None:
    hits: dict[str, int] = {}
    with bot_server_without_database(hits) as first, bot_server_without_database(hits) as second:
        with running_nginx(tmp_path, [free_port(), free_port()], [first, second]) as url:
            served_before = sum(hits.values())
            for _ in range(6):
                _assert_the_apps_503(httpx.get(f"{url}{PAY_PAGE}", timeout=30))
                _assert_the_apps_503(httpx.post(f"{url}{PAY_PAGE}", data={"card_number": "4242 4242 4242 4242"}, timeout=30))
            # Each request was answered once: a 503 is an answer, not a reason to ask the other replica.
            assert sum(hits.values()) - served_before == 12
            # 12 answers of 503 marked neither replica down (max_fails=2 would have, had 503 counted as a
            # failure): every next request is served, by both replicas in turn.
            before = dict(hits)
            for _ in range(10):
                assert httpx.get(f"{url}/health", timeout=30).status_code == 200
            assert all(hits[name] > before[name] for name in hits), (before, hits)


def test_a_dead_replica_is_skipped_and_the_live_ones_503_still_reaches_the_shopper(tmp_path: Path) -> None:
    hits: dict[str, int] = {}
    with bot_server_without_database(hits) as live:
        dead = free_port()  # nothing listens: a killed replica
        with running_nginx(tmp_path, [free_port(), free_port()], [live, dead]) as url:
            for _ in range(8):
                # Connection refused on the dead one is retried on the live one (even a POST: nothing
                # was sent); the live one's 503 is passed through and never takes it out of the pool.
                _assert_the_apps_503(httpx.post(f"{url}{PAY_PAGE}", data={"card_number": "4242 4242 4242 4242"}, timeout=30))
                assert httpx.get(f"{url}/health", timeout=30).status_code == 200
