"""The atomic Redis lock store: one holder at a time, first come first served, woken at once, and
a dead holder's turn lapses after its lease. Two store objects stand for two Rasa replicas: they share
nothing but Redis, exactly like two processes."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Iterator

import pytest
import redis
from rasa.core.lock_store import LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.adapters.rasa_lock_store import AtomicRedisLockStore
from tests.production.services import require_redis

pytestmark = pytest.mark.production


@pytest.fixture
def redis_url() -> str:
    return require_redis()


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"t{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def two_replicas(redis_url: str, prefix: str, **options: float) -> tuple[AtomicRedisLockStore, AtomicRedisLockStore]:
    return (
        AtomicRedisLockStore(url=redis_url, key_prefix=prefix, **options),
        AtomicRedisLockStore(url=redis_url, key_prefix=prefix, **options),
    )


async def test_many_messages_through_two_replicas_run_one_at_a_time_in_ticket_order(redis_url: str, prefix: str) -> None:
    replicas = two_replicas(redis_url, prefix)
    inside: list[int] = []
    served: list[tuple[int, int]] = []  # (ticket, message)
    overlaps = 0

    async def handle(number: int) -> None:
        nonlocal overlaps
        async with replicas[number % 2].lock("shopper-1") as lock:
            overlaps += bool(inside)
            inside.append(number)
            await asyncio.sleep(0.005)
            served.append((lock.now_serving, number))
            inside.remove(number)

    tasks = []
    for number in range(40):
        tasks.append(asyncio.create_task(handle(number)))
        await asyncio.sleep(0.002)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)

    assert overlaps == 0
    assert sorted(number for _ticket, number in served) == list(range(40))  # none lost, none twice
    tickets = [ticket for ticket, _number in served]
    assert tickets == sorted(tickets) and len(set(tickets)) == 40  # first come, first served
    assert replicas[0].get_lock("shopper-1") is None  # the queue is gone once everyone finished


async def test_the_next_waiter_is_woken_at_once_not_after_a_polling_interval(redis_url: str, prefix: str) -> None:
    first, second = two_replicas(redis_url, prefix)
    released_at = 0.0
    holding = asyncio.Event()

    async def holder() -> None:
        nonlocal released_at
        async with first.lock("shopper-2"):
            holding.set()
            await asyncio.sleep(0.3)
            released_at = time.monotonic()

    task = asyncio.create_task(holder())
    await holding.wait()
    async with second.lock("shopper-2"):
        waited_after_release = time.monotonic() - released_at
    await task
    # Rasa's own stores look again once a second; a wake-up arrives within milliseconds.
    assert waited_after_release < 0.15


async def test_a_dead_holders_turn_lapses_after_its_lease(redis_url: str, prefix: str) -> None:
    survivor = AtomicRedisLockStore(url=redis_url, key_prefix=prefix, lease_seconds=0.6)
    # A replica killed with -9 took a ticket and never renews or finishes it.
    dead_ticket = await survivor._issue("shopper-3")
    assert survivor.get_lock("shopper-3").now_serving == dead_ticket

    started = time.monotonic()
    async with survivor.lock("shopper-3"):
        waited = time.monotonic() - started
    assert 0.3 < waited < 2.0


async def test_a_live_holder_keeps_its_turn_beyond_the_lease(redis_url: str, prefix: str) -> None:
    first, second = two_replicas(redis_url, prefix, lease_seconds=0.3)
    order: list[str] = []
    holding = asyncio.Event()

    async def slow_holder() -> None:
        async with first.lock("shopper-4"):
            holding.set()
            await asyncio.sleep(1.0)  # more than three leases: renewed in the background
            order.append("slow holder done")

    task = asyncio.create_task(slow_holder())
    await holding.wait()
    async with second.lock("shopper-4"):
        order.append("next")
    await task
    assert order == ["slow holder done", "next"]


async def test_the_wait_for_a_turn_does_not_count_against_the_longest_hold(redis_url: str, prefix: str) -> None:
    # A loaded machine: a turn queued behind a slow one holds the lock for less than max_hold, but its
    # wait plus its hold is more. Counted from the issue, its ticket lapsed while its turn still ran and
    # the next turn of the conversation ran beside it (the chaos run: a payment notice said twice).
    first, second, third = (AtomicRedisLockStore(url=redis_url, key_prefix=prefix, lease_seconds=0.9, max_hold_seconds=3) for _ in range(3))
    events: list[str] = []
    first_holds, second_waits, second_holds = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def turn(store: AtomicRedisLockStore, name: str, seconds: float, holding: asyncio.Event) -> None:
        async with store.lock("shopper-5"):
            holding.set()
            events.append(f"{name} starts")
            await asyncio.sleep(seconds)
            events.append(f"{name} ends")

    slow = asyncio.create_task(turn(first, "first", 2.4, first_holds))
    await first_holds.wait()
    queued = asyncio.create_task(turn(second, "second", 2.4, second_holds))  # waits 2.4 s, then holds 2.4 s
    second_waits.set()
    await second_holds.wait()
    await turn(third, "third", 0, asyncio.Event())  # asks while the second holds (4.8 s after its issue)
    await asyncio.gather(slow, queued)
    assert events == ["first starts", "first ends", "second starts", "second ends", "third starts", "third ends"]


async def test_conversations_do_not_wait_for_each_other(redis_url: str, prefix: str) -> None:
    first, second = two_replicas(redis_url, prefix)
    async with first.lock("shopper-a"):
        await asyncio.wait_for(_enter(second, "shopper-b"), timeout=1)


async def _enter(store: AtomicRedisLockStore, conversation_id: str) -> None:
    async with store.lock(conversation_id):
        pass


async def test_an_unreachable_redis_is_a_clear_lock_error() -> None:
    store = AtomicRedisLockStore(url="redis://127.0.0.1:1/0")
    with pytest.raises(LockError, match="Could not issue a lock ticket for conversation 'shopper-5'"):
        async with store.lock("shopper-5"):
            pass


def test_rasa_builds_it_from_the_endpoints_lock_store_section(redis_url: str) -> None:
    config = EndpointConfig(
        url=redis_url, type="bot.adapters.rasa_lock_store.AtomicRedisLockStore", key_prefix="fellside", lease_seconds=5
    )
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    assert (store.key_prefix, store.lease_seconds) == ("fellside:lock:", 5.0)


def test_a_host_name_with_rasa_style_keys_becomes_a_url() -> None:
    config = EndpointConfig(url="redis.internal", port=6380, db=2, password="p@ss", type="x")
    assert AtomicRedisLockStore(config)._url == "redis://:p%40ss@redis.internal:6380/2"


def test_key_prefix_must_be_letters_and_digits() -> None:
    with pytest.raises(ValueError, match="key_prefix"):
        AtomicRedisLockStore(url="redis://127.0.0.1:6379/0", key_prefix="a:b")


def test_rasas_own_redis_lock_store_hands_two_replicas_the_same_ticket(redis_url: str, prefix: str) -> None:
    """Why this store exists (RasaHQ/rasa#9213): GET, edit, SET lets two replicas interleave."""
    parsed = redis.connection.parse_url(redis_url)
    replica_a = RedisLockStore(host=parsed.get("host", "127.0.0.1"), port=parsed.get("port", 6379), db=parsed.get("db", 0), key_prefix=prefix)
    replica_b = RedisLockStore(host=parsed.get("host", "127.0.0.1"), port=parsed.get("port", 6379), db=parsed.get("db", 0), key_prefix=prefix)
    # Both replicas read the (empty) queue before either writes it back: the interleaving that
    # happens when one sender's messages reach two replicas within a millisecond or two.
    lock_a = replica_a.get_or_create_lock("shopper-6")
    lock_b = replica_b.get_or_create_lock("shopper-6")
    ticket_a, ticket_b = lock_a.issue_ticket(60), lock_b.issue_ticket(60)
    replica_a.save_lock(lock_a)
    replica_b.save_lock(lock_b)
    assert ticket_a == ticket_b  # both are "now serving": two messages run at once
    assert not replica_a.get_lock("shopper-6").is_locked(ticket_a)
    assert not replica_b.get_lock("shopper-6").is_locked(ticket_b)
