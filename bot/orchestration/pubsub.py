"""Wake-ups for web chat streams: "conversation X has new transcript lines".

The transcript in the database is the truth; these signals only make delivery immediate. A stream
also re-reads the database every second, so a signal lost between processes costs a second, not a
message. With REDIS_URL set, signals cross processes and machines through Redis pub/sub.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from contextlib import suppress

logger = logging.getLogger(__name__)

REDIS_CHANNEL = "shop:conversation-updates"


class ConversationSignals:
    """In-process waiters per conversation, optionally fed by Redis from other processes."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._redis = None  # redis.asyncio.Redis when bridged
        self._listener: asyncio.Task | None = None

    def wake_local(self, conversation_id: str) -> None:
        for waiter in list(self._waiters.get(conversation_id, ())):
            waiter.set()

    async def publish(self, conversation_id: str) -> None:
        """Wakes streams for this conversation here and, when bridged, on every other node."""
        self.wake_local(conversation_id)
        if self._redis is not None:
            try:
                await self._redis.publish(REDIS_CHANNEL, conversation_id)
            except Exception:  # noqa: BLE001 - a lost signal only delays delivery to the next poll
                logger.warning("could not publish a conversation update to Redis", exc_info=True)

    async def wait(self, conversation_id: str, timeout: float) -> bool:
        """Waits until this conversation is signalled or `timeout` seconds pass; True when signalled."""
        waiter = asyncio.Event()
        self._waiters[conversation_id].add(waiter)
        try:
            await asyncio.wait_for(waiter.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            waiters = self._waiters.get(conversation_id)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    self._waiters.pop(conversation_id, None)

    async def bridge_redis(self, redis_url: str) -> None:
        """Starts relaying signals published by other processes through Redis."""
        from redis import asyncio as redis_asyncio

        self._redis = redis_asyncio.from_url(redis_url)
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(REDIS_CHANNEL)
        self._listener = asyncio.create_task(self._relay(pubsub))

    async def _relay(self, pubsub) -> None:  # type: ignore[no-untyped-def]
        async for message in pubsub.listen():
            if message.get("type") == "message":
                data = message["data"]
                self.wake_local(data.decode() if isinstance(data, bytes) else str(data))

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with suppress(asyncio.CancelledError):
                await self._listener
        if self._redis is not None:
            await self._redis.close()
