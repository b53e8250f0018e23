"""Proving an order is yours from another chat: a one-time code texted to the phone on the order."""

from __future__ import annotations

from bot.channels.registry import build_sender
from bot.channels.types import OutboundText
from bot.services.orders import VerificationStarted, start_order_verification
from bot.shop import Shop


async def text_order_code(shop: Shop, reference: str, conversation_id: str) -> VerificationStarted:
    """Creates the code and texts it to the order's phone (opt-out and retries apply as for any SMS).

    Raises:
        OrderNotFound, VerificationUnavailable (the order has no phone), TooManyAttempts.
    """
    started = await shop.call(start_order_verification, reference, conversation_id)
    sender = build_sender(shop, "sms")
    await sender.send(
        OutboundText(
            channel="sms",
            recipient=started.send_to,
            text=f"{shop.settings.retailer_name}: your code for order {started.reference} is {started.code}. "
            "It expires in 10 minutes. If you didn't ask for it, ignore this message.",
        )
    )
    return started
