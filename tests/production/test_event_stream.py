"""Rasa's events, read back from RabbitMQ: what transcripts and analytics are built from."""

from __future__ import annotations

import asyncio
import json
import uuid

import aio_pika
import httpx
import pytest

from bot.adapters.event_stream import ConversationEvent, MalformedEvent, consume_events, parse_event, rabbitmq_url_from_env
from tests.production.conftest import Production
from tests.production.services import require_rabbitmq

pytestmark = pytest.mark.production


async def collect(url: str, queue: str, until, timeout: float = 30) -> list[ConversationEvent]:  # type: ignore[no-untyped-def]
    seen: list[ConversationEvent] = []
    stop = asyncio.Event()

    async def handle(event: ConversationEvent) -> None:
        seen.append(event)
        if until(seen):
            stop.set()

    await asyncio.wait_for(consume_events(url, queue, handle, stop=stop), timeout)
    return seen


@pytest.mark.e2e
async def test_a_conversation_on_any_replica_arrives_on_the_queue(production: Production) -> None:
    sender = f"prod-events-{uuid.uuid4().hex[:8]}"
    for replica, text in (("rasa-0", "hi"), ("rasa-1", "where is the trafford store")):
        reply = httpx.post(f"{production.url(replica)}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
        assert reply.status_code == 200

    def both_answered(events: list[ConversationEvent]) -> bool:
        mine = [e for e in events if e.sender_id == sender]
        return sum(e.type == "user" for e in mine) == 2 and mine[-1].type == "action" and mine[-1].action == "action_listen"

    events = [e for e in await collect(production.rabbitmq_url, production.events_queue, both_answered) if e.sender_id == sender]
    users = [e for e in events if e.type == "user"]
    assert [(e.text, e.input_channel) for e in users] == [("hi", "rest"), ("where is the trafford store", "rest")]
    assert users[0].intent == "greet"
    assert any(e.type == "bot" for e in events)


async def test_a_failed_handler_gets_the_event_again_and_garbage_is_dropped() -> None:
    url = require_rabbitmq()
    queue_name = f"test_events_{uuid.uuid4().hex[:10]}"
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(queue_name, durable=True)
        for body in (b"not json", json.dumps({"sender_id": "s1", "event": "user", "text": "hi", "timestamp": 1.0}).encode()):
            await channel.default_exchange.publish(aio_pika.Message(body), routing_key=queue_name)
        try:
            attempts: list[str] = []
            stop = asyncio.Event()

            async def flaky(event: ConversationEvent) -> None:
                attempts.append(event.text or "")
                if len(attempts) == 1:
                    raise RuntimeError("the analytics database is down")
                stop.set()

            await asyncio.wait_for(consume_events(url, queue_name, flaky, stop=stop), 20)
            assert attempts == ["hi", "hi"]
            queue = await channel.declare_queue(queue_name, durable=True, passive=True)
            assert queue.declaration_result.message_count == 0  # acknowledged, and the garbage dropped
        finally:
            await channel.queue_delete(queue_name)


def test_parse_event_reads_rasas_wire_format_and_rejects_anything_else() -> None:
    body = json.dumps(
        {
            "sender_id": "web-1", "event": "user", "timestamp": 1700000000.5, "text": "hi", "input_channel": "webchat",
            "parse_data": {"intent": {"name": "greet", "confidence": 0.99}},
        }
    ).encode()
    event = parse_event(body)
    assert (event.sender_id, event.type, event.text, event.intent, event.input_channel, event.action) == (
        "web-1", "user", "hi", "greet", "webchat", None,
    )
    assert parse_event(json.dumps({"sender_id": "s", "event": "action", "name": "action_listen"}).encode()).action == "action_listen"
    for garbage in (b"\xff", b"[]", b'{"event": "user"}', b"{"):
        with pytest.raises(MalformedEvent):
            parse_event(garbage)


def test_the_url_comes_from_the_same_variables_rasa_uses() -> None:
    env = {"RABBITMQ_HOST": "mq", "RABBITMQ_PORT": "5673", "RABBITMQ_USER": "shop", "RABBITMQ_PASSWORD": "p/w"}
    assert rabbitmq_url_from_env(env) == "amqp://shop:p%2Fw@mq:5673/"
    assert rabbitmq_url_from_env({"RABBITMQ_URL": "amqp://x"}) == "amqp://x"


@pytest.mark.e2e
async def test_card_numbers_reach_neither_the_queue_nor_the_tracker_store(production: Production) -> None:
    # The probe found full card numbers in the tracker and on the broker: text was forwarded unmasked.
    sender = f"prod-card-{uuid.uuid4().hex[:8]}"
    typed = ["my card is 4242.4242.4242.4242", "4242\u00a04242\u00a04242\u00a04242 exp 12/30"]
    for text in typed:
        reply = httpx.post(f"{production.url('rasa-0')}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
        assert reply.status_code == 200

    def both_arrived(events: list[ConversationEvent]) -> bool:
        return sum(e.sender_id == sender and e.type == "user" for e in events) == 2

    events = [e for e in await collect(production.rabbitmq_url, production.events_queue, both_arrived) if e.sender_id == sender]
    assert [e.text for e in events if e.type == "user"] == ["my card is ****.****.****.4242", "****\u00a0****\u00a0****\u00a04242 exp 12/30"]
    stored = json.dumps(production.stored_tracker_events(sender), ensure_ascii=False)
    assert "4242.4242.4242.4242" not in stored and "4242\u00a04242" not in stored and "****.****.****.4242" in stored
