"""Regression tests: validly signed but malformed webhooks the probe sent get a 4xx or are skipped,
never a 500, and no turn dies without a reply."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from sqlalchemy import select

from bot.kernel.models import OutboundMessage
from bot.kernel.shop import Shop
from tests.connectors.helpers import serve_blueprint
from tests.support.channel_rigs import CHAT, PSID, RIGS, AnsweringRasa
from tests.support.signing import meta_signature

TELEGRAM_CASES = {
    "chat is a string": {"update_id": 1, "message": {"message_id": 1, "chat": "x", "text": "hi"}},
    "chat id is a string": {"update_id": 2, "message": {"message_id": 1, "chat": {"id": "x"}, "text": "hi"}},
    "latitude null": {"update_id": 3, "message": {"message_id": 1, "chat": {"id": CHAT}, "location": {"latitude": None, "longitude": 1.0}}},
    "latitude off the globe": {"update_id": 4, "message": {"message_id": 1, "chat": {"id": CHAT}, "location": {"latitude": 1e308, "longitude": 1.0}}},
    "callback message is a string": {"update_id": 5, "callback_query": {"id": "cb1", "message": "x", "data": "/greet"}},
    "callback id is a number": {"update_id": 6, "callback_query": {"id": 7, "message": {"chat": {"id": CHAT}}, "data": "/greet"}},
    "lone surrogate in the text": {"update_id": 7, "message": {"message_id": 1, "chat": {"id": CHAT}, "text": "\ud800"}},
    "update id is huge": {"update_id": 10**40, "message": {"message_id": 1, "chat": {"id": CHAT}, "text": "hi"}},
}


async def post_signed(shop: Shop, channel: str, payload: object) -> tuple[httpx.Response, AnsweringRasa]:
    """Posts one validly signed webhook to a fresh connector; returns the answer and what reached Rasa."""
    rig = RIGS[channel]
    connector, rasa = rig.build(shop), AnsweringRasa()
    body, headers = rig.sign(payload)
    async with serve_blueprint(connector.blueprint(rasa), f"/webhooks/{channel}") as client:
        reply = await asyncio.wait_for(client.post(rig.path, content=body, headers=headers), timeout=10)
        await connector.tasks.drain()
    return reply, rasa


@pytest.mark.parametrize("case", sorted(TELEGRAM_CASES))
async def test_malformed_telegram_updates_are_400(shop: Shop, case: str) -> None:
    reply, rasa = await post_signed(shop, "telegram", TELEGRAM_CASES[case])
    assert reply.status_code == 400 and rasa.messages == []


def _meta_event(**event: object) -> dict:
    return {"object": "page", "entry": [{"id": "PAGE", "messaging": [{"recipient": {"id": "PAGE"}, "timestamp": 5, **event}]}]}


META_SKIPPED = {
    "sender is a string": _meta_event(sender="x", message={"mid": "m1", "text": "hi"}),
    "sender id is an object": _meta_event(sender={"id": {"a": 1}}, message={"mid": "m2", "text": "hi"}),
    "message id is a list": _meta_event(sender={"id": PSID}, message={"mid": [1], "text": "hi"}),
    "messaging is a number": {"object": "page", "entry": [{"id": "PAGE", "messaging": 1}]},
}


@pytest.mark.parametrize("case", sorted(META_SKIPPED))
async def test_malformed_meta_events_are_skipped(shop: Shop, case: str) -> None:
    reply, rasa = await post_signed(shop, "messenger", META_SKIPPED[case])
    assert (reply.status_code, reply.text, rasa.messages) == (200, "EVENT_RECEIVED", [])


async def test_odd_meta_fields_still_get_a_reply(shop: Shop, caplog: pytest.LogCaptureFixture) -> None:
    # attachments: 1 and a non-string postback payload were a 500 and a turn that died in silence.
    rig = RIGS["messenger"]
    connector, rasa = rig.build(shop), AnsweringRasa()
    events = [
        _meta_event(sender={"id": PSID}, message={"mid": "m1", "text": "hi", "attachments": 1}),
        _meta_event(sender={"id": PSID}, postback={"mid": "m2", "title": "Track order", "payload": {"not": "a string"}}),
        _meta_event(sender={"id": PSID}, message={"mid": "m3", "text": "hi", "quick_reply": {"payload": 5}}),
    ]
    async with serve_blueprint(connector.blueprint(rasa), "/webhooks/messenger") as client:
        with caplog.at_level(logging.WARNING):
            statuses = []
            for event in events:
                body, headers = rig.sign(event)
                statuses.append((await client.post(rig.path, content=body, headers=headers)).status_code)
            await connector.tasks.drain()
    assert statuses == [200, 200, 200]
    assert [message.text for message in rasa.messages] == ["hi", "Track order", "hi"]
    with shop.uow() as uow:
        assert list(uow.session.scalars(select(OutboundMessage.body))) == ["ok", "ok", "ok"]
    assert "failed" not in caplog.text


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"object": "page", "entry": [{"messaging": [{"sender": {"id": "\\ud800"}}]}]}', b"\xff\xfe"],
)
async def test_unusable_meta_bodies_are_400(shop: Shop, body: bytes) -> None:
    rig = RIGS["messenger"]
    connector, rasa = rig.build(shop), AnsweringRasa()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature("rig-meta-app-secret", body)}
    async with serve_blueprint(connector.blueprint(rasa), "/webhooks/messenger") as client:
        reply = await client.post(rig.path, content=body, headers=headers)
    assert reply.status_code == 400 and rasa.messages == []


@pytest.mark.parametrize(
    "params",
    [
        {"Body": "hi\x00there"},
        {"Latitude": "nan", "Longitude": "1"},
        {"Latitude": "1e999", "Longitude": "1"},
        {"From": "4242 4242 4242 4242"},  # a card number is not a phone number
    ],
)
async def test_malformed_twilio_fields_are_400(shop: Shop, params: dict[str, str]) -> None:
    reply, rasa = await post_signed(shop, "sms", {**RIGS["sms"].message("hi", 1), **params})
    assert reply.status_code == 400 and rasa.messages == []


def test_the_signed_bodies_are_what_the_cases_say() -> None:
    # Guards the cases above: json.dumps escapes the lone surrogate, and the parser gives it back.
    body, _ = RIGS["telegram"].sign(TELEGRAM_CASES["lone surrogate in the text"])
    assert b"\\ud800" in body and json.loads(body)["message"]["text"] == "\ud800"


async def test_an_absurd_media_count_is_read_as_twilios_maximum(shop: Shop) -> None:
    # NumMedia=99999999999999999999 made the parser loop forever: one request blocked the server.
    fields = {**RIGS["sms"].message("", 1), "NumMedia": "99999999999999999999", "MediaUrl0": "https://api.twilio.com/m/1"}
    reply, rasa = await post_signed(shop, "sms", fields)
    assert reply.status_code == 200 and rasa.messages == []  # a media-only message: the "can't open photos" reply
