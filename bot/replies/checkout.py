"""Replies of the order dialogue: the cart, the review before reserving, the placed order, payments.

Short enough for SMS. Prompts never ask the shopper to text the bare word "cancel": carriers treat
it as an opt-out keyword, so we always say "cancel order".
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime

from bot.channels.types import PHONE_CHANNELS
from bot.domain.money import format_money
from bot.replies import human_list
from bot.replies.stock import format_stock_answer, option_words
from bot.services.cart import CartLineView, CartView
from bot.services.checkout import CheckedOut, ItemAdded, OrderReview
from bot.services.orders import OrderSummary

STATUS_WORDS = {
    "pending_payment": "reserved and waiting for payment",
    "paid": "paid; the store is getting it ready",
    "ready": "ready to collect",
    "collected": "collected",
    "cancelled": "cancelled",
    "expired": "expired (the hold ran out and the items went back on sale)",
}


def _line(line: CartLineView) -> str:
    options = option_words(line.colour or None, line.size or None)
    name = f"{line.name} ({options})" if options else line.name
    return f"{line.quantity}× {name} {format_money(line.line_total_minor, line.currency)}"


def format_cart(cart: CartView) -> str:
    if cart.is_empty:
        return "Your basket is empty. Ask me about a product to reserve it."
    lines = "\n".join(_line(line) for line in cart.lines)
    return f"Your basket:\n{lines}\nTotal {format_money(cart.total_minor, cart.currency or 'GBP')}"


def format_item_added(result: ItemAdded) -> str:
    if result.cart is not None:
        return f"Added. {format_cart(result.cart)}"
    if result.stock.sku is None:
        return "Which colour and size would you like? Tell me both and I'll add it."
    return format_stock_answer(result.stock)


def format_review(review: OrderReview, store_name: str) -> str:
    if review.cart.is_empty:
        return format_cart(review.cart)
    if review.here is not None and review.here.has_everything:
        total = format_money(review.cart.total_minor, review.cart.currency or "GBP")
        return f"{store_name} has everything ({total}). How would you like to pay?"
    missing = [line.name for line in review.cart.lines if review.here is None or line.sku not in review.here.skus_in_stock]
    text = f"{store_name} doesn't have the {human_list(missing)} in stock right now."
    if review.store_with_everything is not None:
        text += f" {review.store_with_everything.store_name} has everything. Reserve there instead?"
    else:
        text += " No single store has everything; you could remove an item and try again."
    return text


def local_time(moment: datetime, locale: str = "en_GB", tz: str = "Europe/London") -> str:
    return format_datetime(moment, "EEE d MMM HH:mm", tzinfo=tz, locale=locale)


def format_checked_out(result: CheckedOut) -> str:
    order = result.order
    total = format_money(order.total_minor, order.currency)
    held = local_time(order.hold_expires_at)
    if result.link is not None:
        return (
            f"Reserved! Order {order.reference} at {order.store_name}, {total}. "
            f"Pay here before {held} to keep it: {result.link.url}"
        )
    return (
        f"Reserved! Order {order.reference} at {order.store_name}, {total} to pay at the counter. "
        f"Your pickup code is {order.pickup_code}. We'll hold it until {held}."
    )


def format_order_status(order: OrderSummary) -> str:
    status = STATUS_WORDS.get(order.status, order.status)
    text = f"Order {order.reference} at {order.store_name} is {status}."
    if order.status in ("paid", "ready") or (order.status == "pending_payment" and order.payment_method == "at_pickup"):
        text += f" Pickup code {order.pickup_code}, held until {local_time(order.hold_expires_at)}."
    if order.status == "pending_payment" and order.payment_method == "link":
        text += f" Pay before {local_time(order.hold_expires_at)} to keep it; say \"new link\" if you need one."
    return text


def format_payment_received(order: OrderSummary, address: str, channel: str | None = None) -> str:
    # Only a text message channel can promise a text; a web or Messenger shopper hears back where they are.
    tell = "text you" if channel in PHONE_CHANNELS else "message you here"
    return (
        f"Payment received for {order.reference}, thank you! Your pickup code is {order.pickup_code}. "
        f"Collect from {order.store_name}, {address}; we'll hold it until {local_time(order.hold_expires_at)} "
        f"and {tell} when it's ready."
    )


def format_payment_failed(order: OrderSummary) -> str:
    return (
        f"The payment for {order.reference} didn't go through. Your items stay reserved until "
        f"{local_time(order.hold_expires_at)}. Say \"new link\" to try again."
    )


def format_payment_refunded(order: OrderSummary) -> str:
    return f"We've refunded {format_money(order.total_minor, order.currency)} for {order.reference}; it can take 5–10 working days to show."


def format_hold_expired(order: OrderSummary) -> str:
    return (
        f"The hold on order {order.reference} ran out before payment, so the items went back on sale. "
        "Say \"new link\" and I'll try to reserve them again."
    )


def format_cancelled(reference: str, refunded: bool, already: bool) -> str:
    if already:
        return f"Order {reference} was already cancelled."
    refund = " Your payment is being refunded." if refunded else ""
    return f"Order {reference} is cancelled and the items are back on sale.{refund}"
