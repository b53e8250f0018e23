"""deploy/nginx.conf in front of the replicas: web chat and its SSE stream pass unbuffered, internals stay hidden."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from scripts.stack import free_port
from tests.production.conftest import Production
from tests.support.databases import running_in_ci

pytestmark = [pytest.mark.production, pytest.mark.e2e]

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"


def nginx_binary() -> str:
    """Debian's nginx: installed with apt-get in CI when missing; locally its absence skips."""
    found = shutil.which("nginx") or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx")
    if not found and running_in_ci():
        subprocess.run(["apt-get", "install", "-y", "nginx"], check=False, capture_output=True, timeout=300)
        found = shutil.which("nginx") or (Path("/usr/sbin/nginx").exists() and "/usr/sbin/nginx")
        if not found:
            pytest.fail("nginx is not installed and `apt-get install -y nginx` did not install it")
    if not found:
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    return str(found)


def as_test_user(config: str) -> str:
    """Run as root, nginx's workers become `nobody`, who cannot enter pytest's private (0700) temporary
    folders where the test's temp paths are: keep the workers as the test's own user."""
    if os.geteuid() == 0:
        return config.replace("worker_processes auto;", "worker_processes auto;\nuser root;", 1)
    return config


def moved_config(files: Path, rasa_ports: list[int], bot_ports: list[int], public: int, internal: int) -> str:
    """deploy/nginx.conf with its upstreams, listeners and files (`/tmp/fellside-nginx*`) moved."""
    config = CONFIG.read_text()
    for default, port in (("5005", rasa_ports[0]), ("5006", rasa_ports[1]), ("5055", bot_ports[0]), ("5056", bot_ports[1])):
        config = config.replace(f"127.0.0.1:{default} ", f"127.0.0.1:{port} ")
    config = config.replace("listen 8080;", f"listen 127.0.0.1:{public};").replace("127.0.0.1:8081;", f"127.0.0.1:{internal};")
    return as_test_user(config.replace("/tmp/fellside-nginx", str(files)))


@contextmanager
def running_nginx(tmp_path: Path, rasa_ports: list[int], bot_ports: list[int], internal: int | None = None) -> Iterator[str]:
    """nginx with deploy/nginx.conf, its upstream ports moved to the given ones (and its internal
    listener to `internal`, if given); yields the public URL."""
    public, internal = free_port(), internal or free_port()
    (tmp_path / "nginx.conf").write_text(moved_config(tmp_path / "nginx", rasa_ports, bot_ports, public, internal))
    process = subprocess.Popen(
        [nginx_binary(), "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-g", "daemon off;"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{public}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{url}/health", timeout=2)
                break
            except httpx.HTTPError:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else "nginx exited"
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


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
