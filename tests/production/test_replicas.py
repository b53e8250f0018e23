"""Several replicas of each process behave like one: ordered conversations, cross-node pushes, one sweep."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import redis
from sqlalchemy import func, select

from bot.ordering.rules import HoldPolicy
from bot.kernel.models import AuditEntry, Order, Timer
from bot.orchestration.pubsub import REDIS_CHANNEL
from tests.bot.factories import add_store, add_variant, place, set_stock, stock
from tests.production.conftest import Production

pytestmark = [pytest.mark.production, pytest.mark.e2e]

MESSAGES = 16


def user_texts(events: list[dict]) -> list[str]:
    return [event["text"] for event in events if event["event"] == "user"]


def turns(events: list[dict]) -> list[tuple[str, int]]:
    """(user text, how many bot messages followed it before the next user message)."""
    result: list[tuple[str, int]] = []
    for event in events:
        if event["event"] == "user":
            result.append((event["text"], 0))
        elif event["event"] == "bot" and result:
            result[-1] = (result[-1][0], result[-1][1] + 1)
    return result


async def test_one_senders_messages_alternating_between_two_rasa_replicas_are_all_answered_in_order(
    production: Production,
) -> None:
    sender = f"prod-order-{uuid.uuid4().hex[:8]}"
    # Stock questions run the form and custom actions against the database, so each turn takes far
    # longer than the next line takes to arrive: the lines really queue up in the lock store.
    texts = [f"do you have the trailblazer boots in brown size 9 at arndale? (message {number})" for number in range(MESSAGES)]
    lock_keys = redis.Redis.from_url(production.env["RASA_LOCK_STORE_URL"])
    key = f"{production.env['RASA_LOCK_KEY_PREFIX']}:lock:{{{sender}}}"
    most_waiting = 0

    async with httpx.AsyncClient(timeout=120) as http:

        async def send(number: int) -> list[dict]:
            replica = production.url(f"rasa-{number % 2}")
            reply = await http.post(f"{replica}/webhooks/rest/webhook", json={"sender": sender, "message": texts[number]})
            assert reply.status_code == 200, reply.text
            return reply.json()

        requests = []
        for number in range(MESSAGES):
            requests.append(asyncio.create_task(send(number)))
            # The next line goes out once this one holds its ticket (has "arrived"), long before it
            # is answered: a fast typist whose lines land on alternate replicas and queue up.
            deadline = time.monotonic() + 30
            while int(lock_keys.get(f"{key}:counter") or 0) < number + 1:
                assert time.monotonic() < deadline, f"message {number} never reached the lock store"
                await asyncio.sleep(0.005)
            most_waiting = max(most_waiting, lock_keys.zcard(f"{key}:queue"))
        replies = await asyncio.gather(*requests)

    print(f"most lines waiting in the lock store at once: {most_waiting} of {MESSAGES}")
    assert most_waiting >= 3, "the lines never queued up, so this run did not exercise the lock's ordering"
    assert all(replies), "every message got an answer in its own HTTP reply"
    stored = production.stored_tracker_events(sender)
    assert user_texts(stored) == texts  # none lost, none twice, in the order they arrived
    assert [count > 0 for _text, count in turns(stored)] == [True] * MESSAGES  # each answered before the next
    # Both replicas read the same clean history back.
    assert [text for text, _count in turns(production.rasa_events(sender))] == texts


async def test_a_line_pushed_on_one_bot_server_reaches_a_web_shopper_streaming_from_the_other(production: Production) -> None:
    conversation_id = f"web-{uuid.uuid4()}"
    published = _watch_redis(production.env["REDIS_URL"], conversation_id)
    received: list[dict] = []
    latencies: list[float] = []
    streaming = asyncio.Event()

    async def shopper_stream() -> None:
        params = {"conversation_id": conversation_id}
        async with httpx.AsyncClient(timeout=None) as http:
            async with http.stream("GET", f"{production.url('bot-1')}/chat/api/stream", params=params) as stream:
                streaming.set()
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        received.append(json.loads(line.removeprefix("data: ")) | {"at": time.monotonic()})

    reader = asyncio.create_task(shopper_stream())
    await asyncio.wait_for(streaming.wait(), 10)
    await asyncio.sleep(0.5)
    try:
        async with httpx.AsyncClient(timeout=90) as http:
            for text in ("hi", "thanks", "bye"):
                sent_at = time.monotonic()
                reply = await http.post(
                    f"{production.url('bot-0')}/chat/api/messages", json={"conversation_id": conversation_id, "text": text}
                )
                assert reply.status_code == 200, reply.text
                await _until(lambda: any(m["text"] == text for m in received), 5)
                latencies.append(next(m["at"] for m in received if m["text"] == text) - sent_at)
        await _until(lambda: sum(m["author"] == "bot" for m in received) >= 3, 10)
    finally:
        reader.cancel()
    assert [m["text"] for m in received if m["author"] == "user"] == ["hi", "thanks", "bye"]
    assert published.wait(5), "bot-0 announced the new lines on Redis"
    # Without the bridge bot-1 would only notice on its next one-second database poll.
    assert sorted(latencies)[1] < 0.5, latencies


def _watch_redis(redis_url: str, conversation_id: str) -> threading.Event:
    """Set once a wake-up for the conversation crosses Redis."""
    seen = threading.Event()
    pubsub = redis.Redis.from_url(redis_url).pubsub()
    pubsub.subscribe(REDIS_CHANNEL)

    def listen() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not seen.is_set():
            message = pubsub.get_message(timeout=0.5)
            if message and message["type"] == "message" and message["data"].decode() == conversation_id:
                seen.set()
        pubsub.close()

    threading.Thread(target=listen, daemon=True).start()
    return seen


async def _until(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s")
        await asyncio.sleep(0.05)


def test_two_bot_servers_sweeping_the_same_expired_holds_release_each_exactly_once(production: Production) -> None:
    shop = production.shop
    store, sku = f"sweep{uuid.uuid4().hex[:6]}", f"SWEEP-{uuid.uuid4().hex[:6]}"
    add_store(shop, store)
    add_variant(shop, sku)
    set_stock(shop, store, sku, on_hand=500)
    # The holds fall due together a little after they are placed, so both sweepers meet them at once.
    due_at = datetime.now(timezone.utc) + timedelta(seconds=12)
    placed_at = due_at - timedelta(minutes=HoldPolicy().unpaid_minutes)
    due = {place(shop, f"sweep-{store}-{i}", {sku: 2}, store_id=store, now=placed_at).reference for i in range(40)}
    live = place(shop, f"sweep-{store}-live", {sku: 3}, store_id=store).reference
    if datetime.now(timezone.utc) < due_at - timedelta(seconds=1):
        assert stock(shop, store, sku) == (500, 83)

    deadline = time.monotonic() + 60  # both bot servers sweep every second
    while stock(shop, store, sku) != (500, 3):
        assert time.monotonic() < deadline, f"holds not released: {stock(shop, store, sku)}"
        time.sleep(0.5)
    time.sleep(2.5)  # two more sweeps on each server: nothing may be released twice

    with shop.uow() as uow:
        orders = uow.session.execute(select(Order.id, Order.reference, Order.status).where(Order.store_id == store)).all()
        expired_audits = uow.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "order_expired", AuditEntry.store_id == store)
        )
        unfired = uow.session.scalar(
            select(func.count()).select_from(Timer).where(
                Timer.subject.in_([str(order_id) for order_id, _ref, _status in orders]), Timer.fired_at.is_(None)
            )
        )
    statuses = {reference: status for _id, reference, status in orders}
    assert {reference for reference, status in statuses.items() if status == "expired"} == due
    assert statuses[live] == "pending_payment"
    assert expired_audits == len(due)  # one release per hold, whichever server took it
    assert unfired == 1  # only the live hold's timer is still waiting
    assert stock(shop, store, sku) == (500, 3)  # a double release would dip under the live hold
