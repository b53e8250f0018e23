"""Plumbing shared by every channel's conversation handling, free of Rasa.

`ConversationOutlet` sends one logical reply (transcript line + provider messages);
`BackgroundTasks` runs dialogue turns after a webhook has been answered, so providers get their
200 quickly and a slow turn never causes a provider retry.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Coroutine, Sequence

from bot.messaging.channels.types import ChannelSender, OutboundText, SendResult
from bot.messaging.channel_rules import OFFERED_OPTIONS_KEY, record_transcript
from bot.kernel.shop import Shop

logger = logging.getLogger(__name__)


class ConversationOutlet:
    """Where a conversation's replies leave: records the transcript, then sends through the channel's sender."""

    def __init__(self, shop: Shop, sender: ChannelSender) -> None:
        self.shop = shop
        self.sender = sender

    async def deliver(
        self,
        conversation_id: str,
        messages: Sequence[OutboundText],
        *,
        transcript_text: str,
        options: Sequence[dict[str, str]] = (),
        author: str = "bot",
    ) -> list[SendResult]:
        """Appends one transcript line (with the options offered, for "reply 1") and sends every part.

        The transcript records what was said even when a send is refused (opt-out, window); the
        outbound_messages rows record what reached the provider.
        """
        payload: dict[str, Any] | None = {OFFERED_OPTIONS_KEY: [dict(option) for option in options]} if options else None
        await self.shop.call(record_transcript, conversation_id, self.sender.channel, author, transcript_text, payload)
        return [await self.sender.send(message) for message in messages]


class BackgroundTasks:
    """Tasks started by webhook handlers; kept referenced until done and awaitable by tests and shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], description: str) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(work, description))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Waits until every task started so far (and any they start) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, Any], description: str) -> None:
        try:
            await work
        except Exception:  # noqa: BLE001 - a failed turn must be logged, never lost silently
            logger.exception("background work failed: %s", description)
