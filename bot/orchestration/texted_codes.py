"""One-time codes texted to a shopper's phone: proving an order is yours, and linking a chat to your phone."""

from __future__ import annotations

from bot.messaging.channels.registry import build_sender
from bot.messaging.channels.types import OutboundText, SendResult
from bot.ordering.order_access import VerificationStarted, start_order_verification
from bot.ordering.phone_link import LINK_CODE_TTL, LinkCode, start_phone_link
from bot.kernel.shop import Shop


async def text_order_code(shop: Shop, reference: str, conversation_id: str) -> VerificationStarted:
    """Creates the code and texts it to the order's phone (opt-out and retries apply as for any SMS).

    Raises:
        OrderNotFound, VerificationUnavailable (the order has no phone), TooManyAttempts.
    """
    started = await shop.call(start_order_verification, reference, conversation_id)
    await _text(
        shop,
        started.send_to,
        f"{shop.settings.retailer_name}: your code for order {started.reference} is {started.code}. "
        "It expires in 10 minutes. If you didn't ask for it, ignore this message.",
    )
    return started


async def text_link_code(shop: Shop, conversation_id: str, phone: str) -> tuple[LinkCode, SendResult]:
    """Creates a phone-link code for the chat and texts it; the result says whether the text was refused.

    Raises:
        InvalidPhoneNumber, TooManyCodes.
    """
    issued = await shop.call(start_phone_link, conversation_id, phone)
    minutes = int(LINK_CODE_TTL.total_seconds() // 60)
    sent = await _text(
        shop,
        issued.phone,
        f"{shop.settings.retailer_name}: your code to link this number to our chat is {issued.code}. "
        f"It expires in {minutes} minutes. If you didn't ask for it, ignore this message.",
    )
    return issued, sent


async def _text(shop: Shop, phone: str, text: str) -> SendResult:
    return await build_sender(shop, "sms").send(OutboundText(channel="sms", recipient=phone, text=text))
