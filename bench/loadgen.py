"""The load generator: a separate process that drives one system over loopback with aiohttp.

Run by the harness as `python -m bench.loadgen '<json spec>'`; prints one JSON object (raw latencies in
seconds and counts) on stdout and progress on stderr. Every loop is bounded by a request count and a
deadline, every request by a timeout, and only loopback URLs are accepted.

Spec: {"target": {"name", "kind": "rest" | "webchat", "url", "messages": [...]},
       "scenario": "first_answer" | "concurrency" | "long" | "back_to_back", ...scenario parameters}.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import aiohttp

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
REQUEST_TIMEOUT_SECONDS = 60.0


class BadSpec(ValueError):
    """The spec handed to the load generator is malformed or points off this machine."""


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # "rest": Rasa's REST channel; "webchat": the bot server's web chat API
    url: str
    messages: tuple[str, ...]

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "Target":
        kind, url, messages = spec.get("kind"), spec.get("url", ""), spec.get("messages") or []
        if kind not in {"rest", "webchat"}:
            raise BadSpec(f"target kind must be rest or webchat, got {kind!r}")
        if urlparse(url).hostname not in LOOPBACK_HOSTS:
            raise BadSpec(f"only loopback targets are allowed, got {url!r}")
        if not messages or not all(isinstance(m, str) and m for m in messages):
            raise BadSpec("target needs a non-empty list of messages")
        return cls(str(spec.get("name", kind)), kind, url.rstrip("/"), tuple(messages))

    def new_sender(self) -> str:
        # The web chat only accepts ids shaped like the page's own (web-<uuid4>).
        return f"web-{uuid.uuid4()}" if self.kind == "webchat" else f"bench-{uuid.uuid4().hex}"

    def request(self, sender: str, text: str) -> tuple[str, dict[str, Any]]:
        if self.kind == "webchat":
            return f"{self.url}/chat/api/messages", {"conversation_id": sender, "text": text}
        return f"{self.url}/webhooks/rest/webhook", {"sender": sender, "message": text}


class TurnFailed(RuntimeError):
    pass


async def send(http: aiohttp.ClientSession, target: Target, sender: str, text: str) -> float:
    """One turn; returns its latency in seconds, or raises TurnFailed when it was not answered."""
    url, body = target.request(sender, text)
    started = time.perf_counter()
    async with http.post(url, json=body) as reply:
        payload = await reply.json(content_type=None) if reply.status == 200 else await reply.text()
    elapsed = time.perf_counter() - started
    if reply.status != 200:
        raise TurnFailed(f"HTTP {reply.status}: {str(payload)[:200]}")
    if target.kind == "rest" and not payload:
        raise TurnFailed("the REST channel answered with no messages")
    if target.kind == "webchat" and (not isinstance(payload, dict) or payload.get("status") != "delivered"):
        raise TurnFailed(f"web chat did not deliver: {payload}")
    return elapsed


def _progress(text: str) -> None:
    print(f"    {text}", file=sys.stderr, flush=True)


async def first_answer(http: aiohttp.ClientSession, target: Target, started_at: float, deadline_s: float) -> dict[str, Any]:
    """Polls until the system answers a message; seconds since `started_at` (epoch of process start)."""
    attempts = 0
    sender = target.new_sender()
    next_note = time.time() + 30
    while time.time() - started_at < deadline_s:
        attempts += 1
        if time.time() >= next_note:  # a loaded machine can take minutes to load a model: say we are still waiting
            next_note += 30
            _progress(f"{target.name}: no answer yet after {time.time() - started_at:.0f} s "
                      f"(load average {os.getloadavg()[0]:.1f}; giving up at {deadline_s:.0f} s)")
        try:
            latency = await asyncio.wait_for(send(http, target, sender, target.messages[0]), 30)
            return {"seconds": time.time() - started_at, "first_turn_s": latency, "attempts": attempts}
        except (aiohttp.ClientError, TurnFailed, asyncio.TimeoutError, OSError):
            await asyncio.sleep(0.1)
    return {"seconds": None, "attempts": attempts, "error": f"no answer within {deadline_s:.0f} s"}


async def concurrency(
    http: aiohttp.ClientSession, target: Target, senders: int, requests: int, max_seconds: float, warmup: int
) -> dict[str, Any]:
    """`senders` workers send `requests` messages in all, each message opening a new conversation."""
    for text in itertools.islice(itertools.cycle(target.messages), warmup):
        await send(http, target, target.new_sender(), text)
    latencies: list[float] = []
    errors: list[str] = []
    issued = itertools.count()
    texts = itertools.cycle(target.messages)
    started = time.perf_counter()
    deadline = started + max_seconds

    async def worker() -> None:
        while next(issued) < requests and time.perf_counter() < deadline:
            try:
                latencies.append(await send(http, target, target.new_sender(), next(texts)))
            except (aiohttp.ClientError, TurnFailed, asyncio.TimeoutError) as error:
                errors.append(f"{type(error).__name__}: {error}"[:200])

    async def report() -> None:
        while True:
            await asyncio.sleep(5)
            _progress(f"{target.name}: {senders} senders, {len(latencies)}/{requests} answered")

    reporter = asyncio.create_task(report())
    try:
        await asyncio.gather(*(worker() for _ in range(senders)))
    finally:
        reporter.cancel()
    wall = time.perf_counter() - started
    return {
        "senders": senders,
        "latencies_s": latencies,
        "errors": len(errors),
        "error_samples": errors[:3],
        "wall_s": wall,
        "throughput_rps": len(latencies) / wall if wall > 0 else 0.0,
        "truncated_by_deadline": len(latencies) + len(errors) < requests,
    }


async def long_conversation(http: aiohttp.ClientSession, target: Target, turns: int, max_seconds: float) -> dict[str, Any]:
    """One conversation of `turns` sequential messages; the latency of every turn."""
    sender = target.new_sender()
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + max_seconds
    for turn, text in enumerate(itertools.islice(itertools.cycle(target.messages), turns), start=1):
        if time.perf_counter() > deadline:
            break
        try:
            latencies.append(await send(http, target, sender, text))
        except (aiohttp.ClientError, TurnFailed, asyncio.TimeoutError):
            errors += 1
            latencies.append(float("nan"))
        if turn % 25 == 0:
            _progress(f"{target.name}: turn {turn}/{turns}")
    return {"turns": len(latencies), "latencies_s": latencies, "errors": errors}


async def back_to_back(http: aiohttp.ClientSession, target: Target, repeats: int) -> dict[str, Any]:
    """Per repeat, on an established conversation: a lone message, then two sent back to back.

    Returns the lone latencies and, for each pair, the time from sending the second until it is answered.
    """
    lone: list[float] = []
    second: list[float] = []
    first: list[float] = []
    text = target.messages[0]
    for _ in range(repeats):
        sender = target.new_sender()
        await send(http, target, sender, text)  # opens the conversation (session start is not measured)
        lone.append(await send(http, target, sender, text))
        first_task = asyncio.create_task(send(http, target, sender, text))
        await asyncio.sleep(0.01)  # the first is on the wire (and inside Rasa) before the second leaves
        second.append(await send(http, target, sender, text))
        first.append(await first_task)
    return {"lone_s": lone, "second_s": second, "first_s": first}


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    target = Target.from_spec(spec.get("target") or {})
    scenario = spec.get("scenario")
    connections = int(spec.get("senders", 1)) + 4
    timeout = aiohttp.ClientTimeout(total=float(spec.get("request_timeout_s", REQUEST_TIMEOUT_SECONDS)))
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=connections)) as http:
        if scenario == "first_answer":
            return await first_answer(http, target, float(spec["started_at"]), float(spec.get("deadline_s", 300)))
        if scenario == "concurrency":
            return await concurrency(
                http,
                target,
                int(spec["senders"]),
                int(spec["requests"]),
                float(spec.get("max_seconds", 120)),
                int(spec.get("warmup", 2)),
            )
        if scenario == "long":
            return await long_conversation(http, target, int(spec["turns"]), float(spec.get("max_seconds", 600)))
        if scenario == "back_to_back":
            return await back_to_back(http, target, int(spec.get("repeats", 5)))
    raise BadSpec(f"unknown scenario {scenario!r}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.loadgen '<json spec>'", file=sys.stderr)
        return 2
    try:
        spec = json.loads(argv[0])
        result = asyncio.run(run(spec))
    except (BadSpec, json.JSONDecodeError, KeyError) as error:
        print(f"bad spec: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
