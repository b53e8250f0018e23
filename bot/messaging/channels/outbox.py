"""The sender used when a channel has no credentials: messages are kept with status "outbox"."""

from __future__ import annotations

from bot.messaging.channels.base import RecordingSender
from bot.messaging.channels.types import OutboundText
from bot.messaging.channel_rules import OutboundPlan


class OutboxSender(RecordingSender):
    """Records messages (after the same opt-out and window checks) without calling any provider.

    Lets the whole system run on one machine without provider accounts; the outbox rows show what
    would have been sent.
    """

    @property
    def record_only(self) -> bool:
        return True

    async def _transmit(self, message: OutboundText, plan: OutboundPlan) -> str | None:
        raise AssertionError("the outbox never transmits")  # plan_outbound never queues in record-only mode
