"""The production bench's entry point routes as deploy/nginx.conf does and takes the replicas in turn."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from bench.entry import build_app, upstream_pool
from scripts.stack import free_port


def test_messaging_webhooks_go_to_rasa_and_everything_else_to_the_bot_servers() -> None:
    assert upstream_pool("/webhooks/sms/webhook") == "rasa"
    assert upstream_pool("/webhooks/messenger/webhook") == "rasa"
    assert upstream_pool("/webhooks/payments/stripe") == "bots"
    assert upstream_pool("/chat/api/messages") == "bots"
    assert upstream_pool("/health") == "bots"


def test_upstreams_must_be_on_loopback() -> None:
    with pytest.raises(ValueError):
        build_app(["http://10.0.0.1:5005"], ["http://127.0.0.1:5055"])


async def _start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


def _replica(name: str, seen: list[tuple[str, str, str, str]]) -> web.Application:
    async def answer(request: web.Request) -> web.Response:
        seen.append((name, request.path_qs, (await request.read()).decode(), request.headers.get("X-Twilio-Signature", "")))
        return web.json_response({"served_by": name}, status=201 if request.path.startswith("/webhooks/") else 200)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


def test_requests_pass_through_unchanged_to_each_replica_in_turn() -> None:
    async def scenario() -> tuple[list, list]:
        seen: list[tuple[str, str, str, str]] = []
        runners, urls = [], {}
        for name in ("rasa-0", "rasa-1", "bot-0", "bot-1"):
            runner, url = await _start(_replica(name, seen))
            runners.append(runner)
            urls[name] = url
        entry, entry_url = await _start(build_app([urls["rasa-0"], urls["rasa-1"]], [urls["bot-0"], urls["bot-1"]]))
        answers = []
        try:
            async with aiohttp.ClientSession() as http:
                for number in range(4):
                    async with http.post(f"{entry_url}/chat/api/messages?n={number}", json={"text": f"line {number}"}) as reply:
                        answers.append((reply.status, (await reply.json())["served_by"]))
                for number in range(2):
                    async with http.post(f"{entry_url}/webhooks/sms/webhook", data={"Body": f"sms {number}"},
                                         headers={"X-Twilio-Signature": "sig"}) as reply:
                        answers.append((reply.status, (await reply.json())["served_by"]))
        finally:
            for runner in [entry, *runners]:
                await runner.cleanup()
        return answers, seen

    answers, seen = asyncio.run(scenario())
    assert answers == [(200, "bot-0"), (200, "bot-1"), (200, "bot-0"), (200, "bot-1"), (201, "rasa-0"), (201, "rasa-1")]
    assert seen[1] == ("bot-1", "/chat/api/messages?n=1", '{"text": "line 1"}', "")
    assert seen[5] == ("rasa-1", "/webhooks/sms/webhook", "Body=sms+1", "sig")
