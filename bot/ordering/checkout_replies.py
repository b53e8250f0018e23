"""Replies of the order dialogue: the cart, the review before reserving, the placed order, payments.

Short enough for SMS. Prompts never ask the shopper to text the bare word "cancel": carriers treat
it as an opt-out keyword, so we always say "cancel order".
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime

from bot.kernel.money import format_money
from bot.languages import N_, _
from bot.languages.catalogue import locale_for
from bot.languages.wording import human_list
from bot.catalog.stock_replies import format_stock_answer, option_words
from bot.ordering.cart import CartLineView, CartView
from bot.ordering.checkout import CheckedOut, ItemAdded, OrderReview
from bot.ordering.orders import OrderSummary

STATUS_WORDS = {
    "pending_payment": N_("reserved and waiting for payment"),
    "paid": N_("paid; the store is getting it ready"),
    "ready": N_("ready to collect"),
    "collected": N_("collected"),
    "cancelled": N_("cancelled"),
    "expired": N_("expired (the hold ran out and the items went back on sale)"),
}


def _line(line: CartLineView) -> str:
    options = option_words(line.colour or None, line.size or None)
    name = f"{line.name} ({options})" if options else line.name
    return f"{line.quantity}× {name} {format_money(line.line_total_minor, line.currency)}"


def format_cart(cart: CartView) -> str:
    if cart.is_empty:
        return _("Your basket is empty. Ask me about a product to reserve it.")
    lines = "\n".join(_line(line) for line in cart.lines)
    total = format_money(cart.total_minor, cart.currency or 'GBP')
    return _("Your basket:\n{lines}\nTotal {total}").format(lines=lines, total=total)


def format_item_added(result: ItemAdded) -> str:
    if result.cart is not None:
        return _("Added. {basket}").format(basket=format_cart(result.cart))
    if result.stock.sku is None:
        return _("Which colour and size would you like? Tell me both and I'll add it.")
    return format_stock_answer(result.stock)


def format_review(review: OrderReview, store_name: str) -> str:
    if review.cart.is_empty:
        return format_cart(review.cart)
    if review.here is not None and review.here.has_everything:
        total = format_money(review.cart.total_minor, review.cart.currency or "GBP")
        return _("{store} has everything ({total}). How would you like to pay?").format(store=store_name, total=total)
    missing = [line.name for line in review.cart.lines if review.here is None or line.sku not in review.here.skus_in_stock]
    text = _("{store} doesn't have the {items} in stock right now.").format(store=store_name, items=human_list(missing))
    if review.store_with_everything is not None:
        text += " " + _("{store} has everything. Reserve there instead?").format(store=review.store_with_everything.store_name)
    else:
        text += " " + _("No single store has everything; you could remove an item and try again.")
    return text


def local_time(moment: datetime, locale: str = "en_GB", tz: str | None = "Europe/London") -> str:
    """"Mon 17 Jun 18:00" in `tz` (None: the moment's own time zone) and the language being spoken."""
    return format_datetime(moment, "EEE d MMM HH:mm", tzinfo=tz, locale=locale_for(locale))


def format_checked_out(result: CheckedOut) -> str:
    order = result.order
    total = format_money(order.total_minor, order.currency)
    held = local_time(order.hold_expires_at, tz=order.store_timezone)
    if result.link is not None:
        return _("Reserved! Order {reference} at {store}, {total}. Pay here before {held} to keep it: {url}").format(
            reference=order.reference, store=order.store_name, total=total, held=held, url=result.link.url)
    return _("Reserved! Order {reference} at {store}, {total} to pay at the counter. Your pickup code is {code}. "
             "We'll hold it until {held}.").format(reference=order.reference, store=order.store_name, total=total,
                                                   code=order.pickup_code, held=held)


def format_order_status(order: OrderSummary) -> str:
    status = _(STATUS_WORDS.get(order.status, order.status))
    text = _("Order {reference} at {store} is {status}.").format(reference=order.reference, store=order.store_name, status=status)
    held = local_time(order.hold_expires_at, tz=order.store_timezone)
    if order.status in ("paid", "ready") or (order.status == "pending_payment" and order.payment_method == "at_pickup"):
        text += " " + _("Pickup code {code}, held until {held}.").format(code=order.pickup_code, held=held)
    if order.status == "pending_payment" and order.payment_method == "link":
        text += " " + _('Pay before {held} to keep it; say "new link" if you need one.').format(held=held)
    return text


def format_cancelled(reference: str, refunded: bool, already: bool) -> str:
    if already:
        return _("Order {reference} was already cancelled.").format(reference=reference)
    text = _("Order {reference} is cancelled and the items are back on sale.").format(reference=reference)
    return f"{text} {_('Your payment is being refunded.')}" if refunded else text
