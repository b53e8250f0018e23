"""The shopper mix of the concurrency scenarios: scripts played turn by turn, latencies kept per kind.

The load generator is run against a small REST-channel stand-in on loopback that records what it was sent;
no timing is asserted.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from bench.loadgen import BadSpec, Target, concurrency
from bench.scenarios import _kind_rows, merge_rounds
from bench.report import latency_summary
from bench.systems import BASELINE_MIX, OUR_MIX
from tests.support.aiohttp_server import serve_post


def test_full_stock_questions_are_at_least_half_of_the_mix_with_checkout_and_support_turns() -> None:
    kinds = [kind for script in OUR_MIX for kind, _text in script]
    assert kinds.count("stock") * 2 >= len(kinds)
    assert {"basket", "checkout", "support"} <= set(kinds)
    assert any(len(script) > 1 for script in OUR_MIX)  # a multi-turn basket conversation
    assert all(kind == "moodbot" for script in BASELINE_MIX for kind, _text in script)


def _spec(scripts: object) -> dict[str, object]:
    return {"kind": "rest", "url": "http://127.0.0.1:1", "messages": ["hi"], "scripts": scripts}


def test_scripts_must_be_kind_and_text_turns() -> None:
    assert Target.from_spec(_spec([[["stock", "any boots?"], ["checkout", "checkout"]]])).scripts == (
        (("stock", "any boots?"), ("checkout", "checkout")),
    )
    assert Target.from_spec(_spec(None)).scripts == ((("message", "hi"),),)  # no mix: each message alone
    for bad in ([[]], [[["stock"]]], [[["", "text"]]], [["not a turn"]]):
        with pytest.raises(BadSpec):
            Target.from_spec(_spec(bad))


def test_each_script_is_one_conversation_played_in_order_and_timed_per_kind() -> None:
    async def scenario() -> tuple[dict, list[tuple[str, str]]]:
        received: list[tuple[str, str]] = []

        async def rest_channel(request: web.Request) -> web.Response:
            body = await request.json()
            received.append((body["sender"], body["message"]))
            return web.json_response([{"recipient_id": body["sender"], "text": "ok"}])

        async with serve_post("/webhooks/rest/webhook", rest_channel) as port, aiohttp.ClientSession() as http:
            target = Target.from_spec({
                "kind": "rest", "url": f"http://127.0.0.1:{port}", "messages": ["hi"],
                "scripts": [[["stock", "boots at arndale?"]], [["basket", "reserve 1"], ["checkout", "checkout"]]],
            })
            result = await concurrency(http, target, senders=1, requests=6, max_seconds=30, warmup=0)
        return result, received

    result, received = asyncio.run(scenario())
    assert [text for _sender, text in received] == ["boots at arndale?", "reserve 1", "checkout"] * 2
    senders = [sender for sender, _text in received]
    assert senders[1] == senders[2] != senders[0]  # the basket conversation's two turns share one sender
    assert len(set(senders)) == 4
    assert {kind: len(values) for kind, values in result["latencies_by_kind_s"].items()} == {
        "stock": 2, "basket": 2, "checkout": 2}
    assert len(result["latencies_s"]) == 6 and result["errors"] == 0


def test_rounds_merge_per_kind_and_rows_name_each_kind() -> None:
    part = {"senders": 8, "latencies_s": [0.1, 0.2], "errors": 0, "wall_s": 1.0,
            "latencies_by_kind_s": {"stock": [0.1], "support": [0.2]}}
    merged = merge_rounds([part, part])
    assert merged["latencies_by_kind_s"] == {"stock": [0.1, 0.1], "support": [0.2, 0.2]}
    base = {"summary": latency_summary([0.05, 0.05])}
    rows = _kind_rows("web chat", 8, base, merged)
    assert [row.label for row in rows] == [
        "  web chat: stock (2 turns) p50, 8 sender(s)", "  web chat: stock (2 turns) p95, 8 sender(s)",
        "  web chat: support (2 turns) p50, 8 sender(s)", "  web chat: support (2 turns) p95, 8 sender(s)"]
    assert rows[0].ours == pytest.approx(100.0) and rows[0].baseline == pytest.approx(50.0)


def test_a_refused_warm_up_turn_does_not_end_the_run() -> None:
    async def scenario() -> dict:
        calls = 0

        async def rest_channel(request: web.Request) -> web.Response:
            nonlocal calls
            calls += 1
            if calls == 1:  # the warm-up turn, as a loaded bot server answered it
                return web.json_response({"status": "assistant_unavailable"}, status=503)
            return web.json_response([{"text": "ok"}])

        async with serve_post("/webhooks/rest/webhook", rest_channel) as port, aiohttp.ClientSession() as http:
            target = Target.from_spec({"kind": "rest", "url": f"http://127.0.0.1:{port}", "messages": ["hi"]})
            return await concurrency(http, target, senders=1, requests=3, max_seconds=30, warmup=1)

    result = asyncio.run(scenario())
    assert len(result["latencies_s"]) == 3 and result["errors"] == 0
    assert result["latencies_by_kind_s"].keys() == {"message"}
