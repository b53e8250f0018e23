"""Resending outbound messages whose send failed for a passing reason, through the sender of their channel; the
sweeper runs it. The retry rows and their back-off are `bot.messaging.channel_rules`."""

from __future__ import annotations

from datetime import datetime
from typing import Mapping

from bot.kernel.shop import Shop
from bot.kernel.models import OutboundMessage
from bot.kernel.unit_of_work import UnitOfWork
from bot.messaging.channel_rules import claim_due_retries, mark_failed
from bot.messaging.channels.types import ChannelSender, SendResult


async def retry_due_messages(
    shop: Shop, senders: Mapping[str, ChannelSender], *, now: datetime | None = None
) -> list[SendResult]:
    """Resends every due retry through the sender of its channel; the sweeper calls this periodically."""
    results = []
    for outbound_id in await shop.call(claim_due_retries, now=now):
        channel = await shop.call(_channel_of, outbound_id)
        sender = senders.get(channel)
        if sender is None:
            await shop.call(mark_failed, outbound_id, f"no sender configured for channel {channel}", transient=False)
            results.append(SendResult("failed", outbound_id, reason=f"no sender for {channel}"))
            continue
        results.append(await sender.resend(outbound_id))
    return results


def _channel_of(uow: UnitOfWork, outbound_id: int) -> str:
    return str(uow.session.get(OutboundMessage, outbound_id).channel)
