"""The load generator: a separate process that drives one system over loopback with aiohttp.

Run by the harness as `python -m bench.loadgen -` with the JSON spec on stdin; prints one JSON object (raw latencies in
seconds and counts) on stdout and progress on stderr. Every loop is bounded by a request count and a
deadline, every request by a timeout, and only loopback URLs are accepted.

Spec: {"target": {"name", "kind": "rest" | "webchat" | "sms", "url", "messages": [...], "scripts": [...],
                  "sms": {...} (kind sms: bench/sms.py)},
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
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlparse

import aiohttp

from bench.sms import SmsLink, SmsSettings, SmsTurnFailed, new_phone

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
REQUEST_TIMEOUT_SECONDS = 60.0


class BadSpec(ValueError):
    """The spec handed to the load generator is malformed or points off this machine."""


Script = tuple[tuple[str, str], ...]  # one conversation: (message kind, text) per turn


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # "rest": Rasa's REST channel; "webchat": the bot server's web chat API; "sms": Twilio webhooks
    url: str
    messages: tuple[str, ...]
    # The concurrency mix: conversations of one or more turns, each turn named by kind ("stock", "checkout").
    # Without scripts, every message of `messages` is a one-turn conversation of kind "message".
    scripts: tuple[Script, ...] = ()
    sms: SmsSettings | None = None
    link: SmsLink | None = field(default=None, compare=False)  # kind sms: the fake Twilio API, once started

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "Target":
        kind, url, messages = spec.get("kind"), spec.get("url", ""), spec.get("messages") or []
        if kind not in {"rest", "webchat", "sms"}:
            raise BadSpec(f"target kind must be rest, webchat or sms, got {kind!r}")
        if urlparse(url).hostname not in LOOPBACK_HOSTS:
            raise BadSpec(f"only loopback targets are allowed, got {url!r}")
        if not messages or not all(isinstance(m, str) and m for m in messages):
            raise BadSpec("target needs a non-empty list of messages")
        scripts = spec.get("scripts") or [[["message", text]] for text in messages]
        try:
            parsed = tuple(tuple((str(kind_), str(text)) for kind_, text in script) for script in scripts)
        except (TypeError, ValueError) as error:
            raise BadSpec(f"scripts must be lists of [kind, text] turns: {error}") from None
        if not all(parsed) or not all(kind_ and text for script in parsed for kind_, text in script):
            raise BadSpec("every script needs at least one turn, each with a kind and a text")
        sms = None
        if kind == "sms":
            try:
                sms = SmsSettings.from_spec(spec.get("sms") or {})
            except (KeyError, TypeError, ValueError) as error:
                raise BadSpec(f"an sms target needs its Twilio settings: {error}") from None
            if urlparse(sms.rasa_url).hostname not in LOOPBACK_HOSTS:
                raise BadSpec(f"only loopback targets are allowed, got {sms.rasa_url!r}")
        return cls(str(spec.get("name", kind)), kind, url.rstrip("/"), tuple(messages), parsed, sms)

    def new_sender(self) -> str:
        # The web chat only accepts ids shaped like the page's own (web-<uuid4>); SMS conversations are phones.
        if self.kind == "sms":
            return new_phone()
        return f"web-{uuid.uuid4()}" if self.kind == "webchat" else f"bench-{uuid.uuid4().hex}"

    def request(self, sender: str, text: str) -> tuple[str, dict[str, Any]]:
        if self.kind == "webchat":
            return f"{self.url}/chat/api/messages", {"conversation_id": sender, "text": text}
        return f"{self.url}/webhooks/rest/webhook", {"sender": sender, "message": text}


class TurnFailed(RuntimeError):
    pass


FAILED = (aiohttp.ClientError, TurnFailed, SmsTurnFailed, asyncio.TimeoutError)


async def send(http: aiohttp.ClientSession, target: Target, sender: str, text: str) -> float:
    """One turn; returns its latency in seconds, or raises TurnFailed when it was not answered."""
    if target.kind == "sms":
        assert target.link is not None, "the sms target's fake Twilio API was not started"
        latency, sid, body = await target.link.send(http, target.url, sender, text, REQUEST_TIMEOUT_SECONDS)
        _last_sid[sender], _last_reply[sender] = sid, body
        return latency
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


_last_sid: dict[str, str] = {}  # sms: the MessageSid of each conversation's latest turn
_last_reply: dict[str, str] = {}  # sms: the first reply to it, so a run shows what the shopper was told


async def turn_finished(http: aiohttp.ClientSession, target: Target, sender: str) -> None:
    """Returns once the conversation's last turn has finished. A web chat or REST reply comes at the end of
    the turn; an SMS turn's first reply may not be its last, so Rasa's tracker is asked."""
    if target.kind == "sms" and target.link is not None:
        await target.link.wait_turn_end(http, sender, _last_sid[sender], REQUEST_TIMEOUT_SECONDS)


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
        except (*FAILED, OSError):
            await asyncio.sleep(0.1)
    return {"seconds": None, "attempts": attempts, "error": f"no answer within {deadline_s:.0f} s"}


async def concurrency(
    http: aiohttp.ClientSession, target: Target, senders: int, requests: int, max_seconds: float, warmup: int
) -> dict[str, Any]:
    """`senders` workers send about `requests` messages in all: each worker takes the next script of the mix and
    plays it as a new conversation, turn after turn; every turn's latency is also kept under its kind."""
    for text in itertools.islice(itertools.cycle(target.messages), warmup):
        try:
            await send(http, target, target.new_sender(), text)
        except FAILED as error:
            # Not measured: a warm-up turn refused on a loaded machine (a 503 at load average 20) must not end the run.
            _progress(f"{target.name}: warm-up turn failed ({type(error).__name__}: {str(error)[:80]}); going on")
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    errors: list[str] = []
    replies: dict[str, list[str]] = {}  # sms: one (text sent, first reply) per kind
    issued = itertools.count()
    scripts = itertools.cycle(target.scripts)
    started = time.perf_counter()
    deadline = started + max_seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            script = next(scripts)
            if next(issued) >= requests:
                return
            sender = target.new_sender()
            for turn, (kind, text) in enumerate(script):
                if turn and (next(issued) >= requests or time.perf_counter() >= deadline):
                    return
                try:
                    if turn:
                        await turn_finished(http, target, sender)  # untimed: the shopper reads, then answers
                    latency = await send(http, target, sender, text)
                except FAILED as error:
                    errors.append(f"{kind}: {type(error).__name__}: {error}"[:200])
                    break  # the rest of this conversation would not be the turns it was written as
                latencies.append(latency)
                by_kind.setdefault(kind, []).append(latency)
                if kind not in replies and sender in _last_reply:
                    replies[kind] = [text, _last_reply[sender][:300]]
            if target.link is not None:
                target.link.close(sender)

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
        "latencies_by_kind_s": by_kind,
        "errors": len(errors),
        "error_samples": errors[:3],
        "wall_s": wall,
        "throughput_rps": len(latencies) / wall if wall > 0 else 0.0,
        "truncated_by_deadline": len(latencies) + len(errors) < requests,
        "reply_samples": replies,
        "warmup_turns": warmup,  # sent before the timed part: the harness counts them in CPU per message
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
        except FAILED:
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
    if target.kind == "sms" and scenario not in {"first_answer", "concurrency"}:
        raise BadSpec(f"the SMS path runs first_answer and concurrency only, not {scenario!r}")
    if target.sms is not None:
        target = replace(target, link=SmsLink(target.sms).start())
    try:
        return await _run(spec, target, scenario)
    finally:
        if target.link is not None:
            target.link.stop()


async def _run(spec: dict[str, Any], target: Target, scenario: Any) -> dict[str, Any]:
    connections = int(spec.get("senders", 1)) * 2 + 4  # sms: a webhook and a tracker check per sender at most
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
        print("usage: python -m bench.loadgen '<json spec>' | -  (-: the spec on stdin)", file=sys.stderr)
        return 2
    try:
        # The harness passes the spec on stdin: an SMS target carries the Rasa API token, which `ps` would show.
        spec = json.loads(sys.stdin.read() if argv[0] == "-" else argv[0])
        result = asyncio.run(run(spec))
    except (BadSpec, json.JSONDecodeError, KeyError) as error:
        print(f"bad spec: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
