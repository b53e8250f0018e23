"""deploy/nginx.conf in front of the replicas: web chat and its SSE stream pass unbuffered, internals stay hidden."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import uuid
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


@pytest.fixture
def nginx(production: Production, tmp_path: Path) -> Iterator[str]:
    """nginx with deploy/nginx.conf, its ports moved to this deployment's; yields the public URL."""
    public, internal = free_port(), free_port()
    config = CONFIG.read_text()
    for default, replica in (("5005", "rasa-0"), ("5006", "rasa-1"), ("5055", "bot-0"), ("5056", "bot-1")):
        config = config.replace(f"127.0.0.1:{default} ", f"127.0.0.1:{production.url(replica).rsplit(':', 1)[1]} ")
    config = config.replace("listen 8080;", f"listen 127.0.0.1:{public};").replace("127.0.0.1:8081;", f"127.0.0.1:{internal};")
    config = config.replace("/tmp/fellside-nginx", str(tmp_path / "nginx"))
    (tmp_path / "nginx.conf").write_text(config)
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
