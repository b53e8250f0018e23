"""Reading Rasa's tracker events from RabbitMQ (the `pika` event broker) for transcripts and analytics.

Every Rasa replica publishes each tracker event (user, bot, action, slot, ...) as JSON to a fanout
exchange bound to a durable queue (deploy/endpoints.production.yml, RASA_EVENTS_QUEUE). A consumer
acknowledges an event only after its handler succeeded, so a crash means redelivery, not loss; handlers
must therefore tolerate seeing an event twice (key on sender_id + timestamp + type).

    .venv/bin/python -m bot.adapters.event_stream            # one JSON line per event on stdout
    .venv/bin/python -m bot.adapters.event_stream --summary  # per-event-type counts every 10 s

The URL comes from RABBITMQ_URL, else from the RABBITMQ_HOST/PORT/USER/PASSWORD variables Rasa uses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Any, Awaitable, Callable
from urllib.parse import quote

logger = logging.getLogger(__name__)


class MalformedEvent(ValueError):
    """A queue message that is not a Rasa tracker event."""


@dataclass(frozen=True)
class ConversationEvent:
    """The fields transcripts and analytics need from one Rasa tracker event."""

    sender_id: str
    type: str
    timestamp: float
    text: str | None
    intent: str | None
    action: str | None
    input_channel: str | None
    raw: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "sender_id": self.sender_id,
            "type": self.type,
            "timestamp": self.timestamp,
            "text": self.text,
            "intent": self.intent,
            "action": self.action,
            "input_channel": self.input_channel,
        }


def parse_event(body: bytes) -> ConversationEvent:
    """Parses one message body as Rasa's pika broker publishes it.

    Raises:
        MalformedEvent: not JSON, or without `sender_id` and `event`.
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedEvent(f"not JSON: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("sender_id"), str) or not isinstance(data.get("event"), str):
        raise MalformedEvent("a tracker event needs string 'sender_id' and 'event' fields")
    parse_data = data.get("parse_data") if isinstance(data.get("parse_data"), dict) else {}
    intent = parse_data.get("intent") if isinstance(parse_data.get("intent"), dict) else {}
    return ConversationEvent(
        sender_id=data["sender_id"],
        type=data["event"],
        timestamp=float(data.get("timestamp") or 0.0),
        text=data.get("text") if isinstance(data.get("text"), str) else None,
        intent=intent.get("name") if isinstance(intent.get("name"), str) else None,
        action=data.get("name") if data["event"] == "action" and isinstance(data.get("name"), str) else None,
        input_channel=data.get("input_channel") if isinstance(data.get("input_channel"), str) else None,
        raw=data,
    )


Handler = Callable[[ConversationEvent], Awaitable[None]]


async def consume_events(url: str, queue_name: str, handle: Handler, *, stop: asyncio.Event | None = None, prefetch: int = 100) -> None:
    """Feeds every event on the queue to `handle` until `stop` is set (or forever).

    An event is acknowledged after `handle` returns; if `handle` raises, it is put back for a later try.
    A malformed message is logged and dropped (requeueing it would loop forever).
    """
    import aio_pika

    stop = stop or asyncio.Event()
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        queue = await channel.declare_queue(queue_name, durable=True)  # the same declaration Rasa makes
        async with queue.iterator() as messages:
            stopping = asyncio.create_task(stop.wait())
            try:
                while not stop.is_set():
                    receiving = asyncio.create_task(messages.__anext__())
                    done, _ = await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    if receiving not in done:
                        receiving.cancel()
                        break
                    await _deliver(receiving.result(), handle)
            finally:
                stopping.cancel()


async def _deliver(message: Any, handle: Handler) -> None:
    try:
        event = parse_event(message.body)
    except MalformedEvent as error:
        logger.warning("dropping a message that is not a Rasa event: %s", error)
        await message.reject(requeue=False)
        return
    try:
        await handle(event)
    except Exception:  # noqa: BLE001 - the event goes back to the queue for another try
        logger.exception("handling a %s event of %s failed; it will be redelivered", event.type, event.sender_id)
        await message.nack(requeue=True)
        return
    await message.ack()


def rabbitmq_url_from_env(env: dict[str, str] | None = None) -> str:
    """RABBITMQ_URL, or an amqp:// URL built from the variables the endpoints file gives Rasa."""
    env = dict(os.environ) if env is None else env
    if env.get("RABBITMQ_URL"):
        return env["RABBITMQ_URL"]
    user = quote(env.get("RABBITMQ_USER", "guest"), safe="")
    password = quote(env.get("RABBITMQ_PASSWORD", "guest"), safe="")
    return f"amqp://{user}:{password}@{env.get('RABBITMQ_HOST', '127.0.0.1')}:{env.get('RABBITMQ_PORT', '5672')}/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.adapters.event_stream", description="Read Rasa's events from RabbitMQ.")
    parser.add_argument("--queue", default=os.environ.get("RASA_EVENTS_QUEUE", "rasa_events"))
    parser.add_argument("--summary", action="store_true", help="print counts per event type every 10 s instead of each event")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    counts: Counter[str] = Counter()

    async def print_event(event: ConversationEvent) -> None:
        if args.summary:
            counts[event.type] += 1
        else:
            print(json.dumps(event.as_json()), flush=True)

    async def report() -> None:
        while True:
            await asyncio.sleep(10)
            print(json.dumps(dict(counts)), flush=True)

    async def run() -> None:
        reporter = asyncio.create_task(report()) if args.summary else None
        try:
            await consume_events(rabbitmq_url_from_env(), args.queue, print_event)
        finally:
            if reporter:
                reporter.cancel()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
