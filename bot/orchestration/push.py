"""Pushing shopper notices (payment landed, hold expired, order ready) into their conversations.

The notices themselves are rows in the outbox (`bot.ordering.notices`), written with the change that
caused them. This module is the bot server's side of delivering them: a Rasa client that also wakes
the conversation's web chat streams, and a nudge that delivers a notice at once instead of waiting for
the next sweep (the sweep remains the safety net when the nudge's process dies).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.adapters.rasa_client import RasaClient
from bot.orchestration.pubsub import ConversationSignals
from bot.ordering.notices import NOTICE_KINDS, DeliveryPolicy
from bot.orchestration.notice_delivery import deliver_due_notices
from bot.kernel.shop import Shop

logger = logging.getLogger(__name__)


class ConversationPush:
    """Rasa's trigger_intent, then a signal so web chat streams on every replica show the reply at once."""

    def __init__(self, rasa: RasaClient, signals: ConversationSignals | None) -> None:
        self._rasa = rasa
        self._signals = signals

    async def trigger_intent(
        self, conversation_id: str, intent: str, entities: dict[str, Any] | None = None, output_channel: str = "latest"
    ) -> dict[str, Any]:
        """Runs `intent` in the conversation; raises RasaUnavailable when Rasa could not take it now."""
        result = await self._rasa.trigger_intent(conversation_id, intent, entities or {}, output_channel=output_channel)
        if self._signals is not None:
            await self._signals.publish(conversation_id)
        return result


def conversation_push(ctx: Any) -> ConversationPush | None:
    """The push for a server's (or sweeper's) context: its current Rasa client and signals, once started."""
    rasa = getattr(ctx, "rasa", None)
    return ConversationPush(rasa, getattr(ctx, "signals", None)) if rasa is not None else None


def kick_notice_delivery(ctx: Any, shop: Shop, kinds: tuple[str, ...] = NOTICE_KINDS, subject: str | None = None) -> None:
    """Delivers due notices now, in the background, without delaying the request that caused them."""
    push = conversation_push(ctx)
    if push is None:
        return
    tasks: set[asyncio.Task[Any]] = ctx.__dict__.setdefault("notice_tasks", set())

    async def deliver() -> None:
        try:
            await deliver_due_notices(shop, push, policy=DeliveryPolicy.from_settings(shop.settings), kinds=kinds, subject=subject)
        except Exception:  # noqa: BLE001 - the sweep will try again; never crash the request's loop
            logger.exception("delivering notices failed")

    task = asyncio.get_running_loop().create_task(deliver())
    tasks.add(task)
    task.add_done_callback(tasks.discard)
