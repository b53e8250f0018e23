"""The waking in-memory lock store serves a conversation's messages one at a time, in arrival order."""

from __future__ import annotations

import asyncio

from bot.adapters.rasa_waking_lock_store import WakingInMemoryLockStore


async def test_messages_of_one_conversation_run_one_at_a_time_in_order() -> None:
    store = WakingInMemoryLockStore()
    log: list[str] = []

    async def turn(name: str, work: float) -> None:
        async with store.lock("web-one", wait_time_in_seconds=30):  # a poll would be 30 s: only a wake-up is fast
            log.append(f"{name} starts")
            await asyncio.sleep(work)
            log.append(f"{name} ends")

    first = asyncio.create_task(turn("first", 0.05))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(turn("second", 0))
    await asyncio.sleep(0.01)
    third = asyncio.create_task(turn("third", 0))
    await asyncio.wait_for(asyncio.gather(first, second, third), timeout=10)

    assert log == ["first starts", "first ends", "second starts", "second ends", "third starts", "third ends"]


async def test_other_conversations_do_not_wait() -> None:
    store = WakingInMemoryLockStore()
    async with store.lock("web-one", wait_time_in_seconds=30):
        async with store.lock("web-two", wait_time_in_seconds=30):
            assert store.get_lock("web-two") is not None
