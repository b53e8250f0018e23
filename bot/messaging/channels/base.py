"""The send path every sender shares: plan (opt-out, window, record) -> provider call -> record outcome."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

from bot.messaging.channels.types import OutboundText, ProviderError, SendResult
from bot.messaging import channel_rules as messaging
from bot.kernel.shop import Shop

logger = logging.getLogger(__name__)


class RecordingSender(ABC):
    """Base of every sender: subclasses only implement `_transmit`, the provider call itself."""

    channel: str

    def __init__(self, shop: Shop, channel: str) -> None:
        self.shop = shop
        self.channel = channel

    async def send(self, message: OutboundText) -> SendResult:
        """Sends one message unless the messaging service refuses it (opted out, window closed, duplicate)."""
        if message.channel != self.channel:
            raise ValueError(f"{type(self).__name__} sends on {self.channel}, not {message.channel}")
        message = self.prepare(message)
        plan = await self.shop.call(messaging.plan_outbound, message, record_only=self.record_only)
        if not plan.should_send:
            return plan.as_result()
        return await self._attempt(message, plan)

    async def resend(self, outbound_id: int) -> SendResult:
        """Sends a stored message again (a retry claimed by the sweeper); re-checks opt-out and window."""
        message, plan = await self.shop.call(messaging.begin_resend, outbound_id)
        if not plan.should_send:
            return plan.as_result()
        return await self._attempt(message, plan)

    @property
    def record_only(self) -> bool:
        """True for the outbox: the message is recorded but no provider is called."""
        return False

    def prepare(self, message: OutboundText) -> OutboundText:
        """Hook to fill channel defaults (e.g. a fallback template) before the plan is made."""
        return message

    async def _attempt(self, message: OutboundText, plan: messaging.OutboundPlan) -> SendResult:
        assert plan.outbound_id is not None
        try:
            provider_id = await self._transmit(message, plan)
        except ProviderError as error:
            status = await self.shop.call(
                messaging.mark_failed, plan.outbound_id, str(error), transient=error.transient
            )
            logger.warning("%s send %s failed (%s): %s", self.channel, plan.outbound_id, status, error)
            return SendResult(status, plan.outbound_id, reason=str(error))
        await self.shop.call(messaging.mark_sent, plan.outbound_id, provider_id)
        return SendResult("sent", plan.outbound_id, provider_id)

    @abstractmethod
    async def _transmit(self, message: OutboundText, plan: messaging.OutboundPlan) -> str | None:
        """Calls the provider; returns its message id. Raises ProviderError on failure."""
