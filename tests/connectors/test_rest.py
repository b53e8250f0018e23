"""Rasa's REST channel behind our door: same wire format, masked text, a length cap, checked input."""

from __future__ import annotations

import pytest

from bot.kernel.inbound_text import MAX_INBOUND_CHARS, TOO_LONG_REPLY
from connectors.rest import FAILED_REPLY, RestInput
from tests.connectors.helpers import serve_blueprint
from tests.support.channel_rigs import AnsweringRasa


async def test_messages_reach_rasa_masked_and_replies_come_back() -> None:
    rasa = AnsweringRasa("hello!")
    async with serve_blueprint(RestInput().blueprint(rasa), "/webhooks/rest") as client:
        reply = await client.post(
            "/webhooks/rest/webhook",
            json={"sender": "demo-1", "message": "card 4242.4242.4242.4242 ok", "input_channel": "sms", "metadata": {"k": 1}},
        )
    assert reply.status_code == 200 and reply.json() == [{"recipient_id": "demo-1", "text": "hello!"}]
    [message] = rasa.messages
    # The client does not choose the input channel: "input_channel": "sms" would pose as an SMS turn.
    assert (message.text, message.sender_id, message.input_channel, message.metadata) == (
        "card ****.****.****.4242 ok", "demo-1", "rest", {"k": 1}
    )


async def test_an_over_long_message_is_answered_without_a_turn() -> None:
    rasa = AnsweringRasa()
    async with serve_blueprint(RestInput().blueprint(rasa), "/webhooks/rest") as client:
        reply = await client.post("/webhooks/rest/webhook", json={"sender": "demo-1", "message": "x" * (MAX_INBOUND_CHARS + 1)})
    assert reply.status_code == 200 and reply.json() == [{"recipient_id": "demo-1", "text": TOO_LONG_REPLY}]
    assert rasa.messages == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[" * 100_000,  # deeper than the JSON parser goes
        b'{"sender": "a", "message": "\\ud800"}',
        b'["sender", "message"]',
        b'{"sender": "sms:+447700900123", "message": "where is my order"}',  # another channel's shopper
        b'{"sender": "web-7f3c2a9e-0000-4000-8000-0123456789ab", "message": "hi"}',
        b'{"sender": 5, "message": "hi"}',
        b'{"sender": "", "message": "hi"}',
        b'{"sender": "a", "message": 5}',
        b'{"sender": "a", "message": "hi", "metadata": "x"}',
    ],
)
async def test_malformed_requests_are_400_and_reach_nobody(body: bytes) -> None:
    rasa = AnsweringRasa()
    async with serve_blueprint(RestInput().blueprint(rasa), "/webhooks/rest") as client:
        reply = await client.post("/webhooks/rest/webhook", content=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and rasa.messages == []


async def test_a_failing_turn_still_answers() -> None:
    async def broken(_message: object) -> None:
        raise RuntimeError("the action server is down")

    async with serve_blueprint(RestInput().blueprint(broken), "/webhooks/rest") as client:
        reply = await client.post("/webhooks/rest/webhook", json={"sender": "demo-1", "message": "hi"})
    assert reply.status_code == 200 and reply.json() == [{"recipient_id": "demo-1", "text": FAILED_REPLY}]
