"""The agent console for end-to-end and browser tests (served by the stack's own bot server)."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from typing import Iterator

import httpx

from scripts.stack import RunningStack, answers

# Support is always staffed in these tests; whether a person is offered then depends only on presence.
ALWAYS_OPEN = {"SUPPORT_HOURS": "Mon-Sun 00:00-24:00", "SUPPORT_TIMEZONE": "Europe/London"}


@contextmanager
def console_server(stack: RunningStack) -> Iterator[str]:
    """Yields the base URL of the bot server serving the agent console for this stack."""
    if not answers(f"{stack.bot_url}/console/login"):
        raise RuntimeError(f"the bot server at {stack.bot_url} does not serve the agent console")
    yield stack.bot_url


class ConsoleAgent:
    """An agent using the console's JSON API over HTTP, as the console page does."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
        page = self.http.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        login = self.http.post("/console/login", data={"username": username, "password": password, "csrf_token": token[1]})
        assert login.status_code == 303, login.text
        console = self.http.get("/console")
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', console.text)
        assert csrf, console.text
        self.csrf = csrf[1]

    def queue(self) -> dict:
        reply = self.http.get("/console/api/queue")
        reply.raise_for_status()
        return reply.json()

    def post(self, path: str, body: dict) -> dict:
        reply = self.http.post(f"/console/api/{path}", json=body, headers={"X-CSRF-Token": self.csrf})
        assert reply.status_code < 400, reply.text
        return reply.json()

    def close(self) -> None:
        self.http.close()


def wait_for(condition, timeout: float = 30.0, interval: float = 0.25):  # type: ignore[no-untyped-def]
    """Polls `condition()` until it returns something truthy; returns it, or fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
