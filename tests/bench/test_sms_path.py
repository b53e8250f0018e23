"""The bench's SMS path: signed webhooks that the connector's own check accepts, replies caught per phone.

A stand-in for Rasa's SMS channel on loopback checks each webhook with `verify_twilio_signature` (what the
real connector uses) and answers through the real `twilio` library against the bench's fake Twilio API;
a reserve turn answers twice, so the next turn must not take the second reply for its own. No timing is asserted.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from twilio.rest import Client

from bench import loadgen
from bench.sms import fake_account, stack_environment
from bot.messaging.channels.twilio import verify_twilio_signature
from scripts.stack import free_port

RASA_TOKEN = "stand-in-token"


class SmsChannelStandIn:
    """Rasa's SMS channel as the bench sees it: webhook in, replies out through Twilio, a tracker to ask."""

    def __init__(self, account: dict[str, Any]) -> None:
        self.env = stack_environment(account)
        self.received: list[tuple[str, str]] = []  # (phone, body) in arrival order
        self.rejected = 0
        self.trackers: dict[str, dict[str, Any]] = defaultdict(dict)
        self.tasks: set[asyncio.Task[None]] = set()
        self.locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        client = Client(self.env["TWILIO_ACCOUNT_SID"], self.env["TWILIO_AUTH_TOKEN"])
        client.api.base_url = self.env["TWILIO_API_BASE"]
        self.client = client

    async def webhook(self, request: web.Request) -> web.Response:
        form = parse_qs((await request.read()).decode(), keep_blank_values=True)
        if not verify_twilio_signature(self.env["TWILIO_AUTH_TOKEN"], f"http://{request.host}{request.path_qs}", form,
                                       request.headers.get("X-Twilio-Signature", "")):
            self.rejected += 1
            return web.Response(status=403, text="invalid signature")
        phone, body, sid = form["From"][0], form["Body"][0], form["MessageSid"][0]
        self.received.append((phone, body))
        task = asyncio.create_task(self.turn(phone, body, sid))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return web.Response(text="<?xml version=\"1.0\"?><Response></Response>", content_type="text/xml")

    async def turn(self, phone: str, body: str, sid: str) -> None:
        replies = [f"answer to: {body}"] + (["reply CHECKOUT to pay"] if body.startswith("reserve") else [])
        async with self.locks[phone]:  # one turn of a conversation at a time, as Rasa's lock store orders them
            for number, reply in enumerate(replies):
                if number:  # the turn runs another action before its second reply, as a checkout prompt does
                    await asyncio.sleep(0.3)
                await asyncio.to_thread(self.client.messages.create, to=phone, from_=self.env["TWILIO_SMS_FROM"], body=reply)
            self.trackers[f"sms:{phone}"] = {"latest_message": {"message_id": sid}, "latest_action_name": "action_listen"}

    async def tracker(self, request: web.Request) -> web.Response:
        if request.query.get("token") != RASA_TOKEN:
            return web.Response(status=401)
        return web.json_response(self.trackers[request.match_info["sender"]])


async def _serve(stand_in: SmsChannelStandIn) -> tuple[web.AppRunner, int]:
    app = web.Application()
    app.router.add_post("/webhooks/sms/webhook", stand_in.webhook)
    app.router.add_get("/conversations/{sender}/tracker", stand_in.tracker)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


def _spec(account: dict[str, Any], port: int, scripts: list, requests: int, senders: int = 1) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}"
    sms = {**account, "webhook_url": url, "rasa_url": url, "rasa_token": RASA_TOKEN}
    target = {"name": "sms", "kind": "sms", "url": url, "messages": ["hi"], "scripts": scripts, "sms": sms}
    return {"target": target, "scenario": "concurrency", "senders": senders, "requests": requests, "max_seconds": 60, "warmup": 0}


def test_the_mix_over_sms_is_signed_answered_and_timed_per_kind() -> None:
    account = fake_account(free_port())
    stand_in = SmsChannelStandIn(account)
    scripts = [[["stock", "boots at arndale?"]], [["basket", "reserve a tee"], ["checkout", "checkout"]]]

    async def scenario() -> dict[str, Any]:
        runner, port = await _serve(stand_in)
        try:
            return await loadgen.run(_spec(account, port, scripts, requests=9))
        finally:
            await runner.cleanup()

    result = asyncio.run(scenario())
    assert result["errors"] == 0 and stand_in.rejected == 0
    assert {kind: len(values) for kind, values in result["latencies_by_kind_s"].items()} == {"stock": 3, "basket": 3, "checkout": 3}
    by_phone: dict[str, list[str]] = defaultdict(list)
    for phone, body in stand_in.received:
        by_phone[phone].append(body)
    assert sorted(by_phone.values()) == sorted([["boots at arndale?"]] * 3 + [["reserve a tee", "checkout"]] * 3)
    assert all(phone.startswith("+4474") and len(phone) == 13 for phone in by_phone)
    # The checkout turn was timed by its own reply, not by the reserve turn's second one.
    assert result["reply_samples"]["checkout"] == ["checkout", "answer to: checkout"]
    assert result["reply_samples"]["basket"] == ["reserve a tee", "answer to: reserve a tee"]


def test_a_webhook_the_channel_refuses_is_an_error_not_a_timing() -> None:
    account = fake_account(free_port())
    stand_in = SmsChannelStandIn({**account, "auth_token": "the channel's other token"})

    async def scenario() -> dict[str, Any]:
        runner, port = await _serve(stand_in)
        try:
            return await loadgen.run(_spec(account, port, [[["stock", "boots?"]]], requests=2))
        finally:
            await runner.cleanup()

    result = asyncio.run(scenario())
    assert result["latencies_s"] == [] and result["errors"] == 2 and stand_in.rejected == 2
    assert all("403" in sample for sample in result["error_samples"])
