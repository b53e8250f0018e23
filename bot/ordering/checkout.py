"""Click-and-collect in a conversation: the use cases the assistant's order dialogue calls.

Each function composes the cart, order and payment services into one step the shopper takes
("reserve 2 of those", "confirm", "send me a new link", "cancel my order"), so actions stay thin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from rapidfuzz import fuzz

from bot.kernel import clock
from bot.ordering.rules import (
    HoldPolicy,
    NotYourOrder,
    OrderNotFound,
    OrderStatus,
    PaymentMethod,
)
from bot.payments import ProviderChooser
from bot.payments.base import PaymentProvider
from bot.ordering.cart import (
    CartLineView,
    CartView,
    StoreCoverage,
    add_to_cart,
    clear_cart,
    priced_in,
    store_coverage,
    view_cart,
)
from bot.identity.customers import contact_phone_for
from bot.catalog.inventory import StockAnswer, check_stock
from bot.ordering.order_access import get_order_for
from bot.ordering.orders import CancelledOrder, OrderSummary, cancel_order, orders_for_conversation
from bot.ordering.placing import place_order
from bot.ordering.pay_links import PaymentLinkView, create_payment_link, execute_refund
from bot.markets.lookup import market_of_store, prices_in
from bot.catalog.stores import list_stores, nearest_first
from bot.messaging.turn_effects import earlier_result, first_time, remember_result
from bot.kernel.unit_of_work import UnitOfWork, read_only


@dataclass(frozen=True)
class ItemAdded:
    """The result of "reserve N of those": either added, or why not (no single variant, not enough here)."""

    stock: StockAnswer
    cart: CartView | None

    @property
    def added(self) -> bool:
        return self.cart is not None


@dataclass(frozen=True)
class OrderReview:
    cart: CartView
    here: StoreCoverage | None
    store_with_everything: StoreCoverage | None


@dataclass(frozen=True)
class CheckedOut:
    order: OrderSummary
    link: PaymentLinkView | None


@dataclass(frozen=True)
class ShopperCancellation:
    cancelled: CancelledOrder
    refunded: bool


def add_item(
    uow: UnitOfWork,
    conversation_id: str,
    product_id: str,
    store_id: str,
    colour: str | None,
    size: str | None,
    quantity: int,
    effect: str | None = None,
) -> ItemAdded:
    """Puts one variant in the cart when the store can supply the quantity; the cart holds no stock yet.

    Args:
        effect: this add's key (bot.messaging.turn_effects): a message handled again adds nothing more
            and gets the basket as it is.
    """
    stock = check_stock(uow, product_id, store_id, colour, size, quantity)
    if stock.sku is None or not stock.in_stock:
        return ItemAdded(stock=stock, cart=None)
    if not first_time(uow, effect):
        uow.rollback()
        return ItemAdded(stock=stock, cart=view_cart(uow, conversation_id))
    return ItemAdded(stock=stock, cart=add_to_cart(uow, conversation_id, stock.sku, quantity))  # commits the key too


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_QUANTITY = re.compile(r"\b(\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_OLD_QUANTITY = re.compile(r"\b(?:not|instead of|rather than)\s+" + _QUANTITY.pattern, re.IGNORECASE)
_LINE_MATCH_CUTOFF = 80
_WORD = re.compile(r"[a-z]+")
_NOT_PRODUCT_WORDS = frozenset(
    "the and remove take out off delete drop change make just only want instead please basket cart one ones them it"
    " two three four five six seven eight nine ten of to my from for can have".split()
)


def quantity_in(text: str) -> int | None:
    """The number a shopper asks for ("make it 3", "just two"), or None.

    A number after "not" or "instead of" is the old one ("3 instead of 2"); of the rest, the last wins.
    """
    found = _QUANTITY.findall(_OLD_QUANTITY.sub(" ", text))
    if not found:
        return None
    last = found[-1].lower()
    return _NUMBER_WORDS.get(last) or int(last)


def line_meant(cart: CartView, text: str) -> CartLineView | None:
    """The basket line the shopper's words point at; with one line in the basket, that one."""
    if len(cart.lines) == 1:
        return cart.lines[0]
    words = [word for word in _WORD.findall(text.lower()) if len(word) >= 3 and word not in _NOT_PRODUCT_WORDS]

    def score(line: CartLineView) -> float:
        line_words = _WORD.findall(f"{line.name} {line.colour}".lower())
        return max((fuzz.ratio(word, candidate) for word in words for candidate in line_words), default=0.0)

    scored = sorted(((score(line), line) for line in cart.lines), key=lambda pair: pair[0], reverse=True)
    if not scored or scored[0][0] < _LINE_MATCH_CUTOFF:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None  # two lines match equally: ask rather than guess
    return scored[0][1]


@read_only
def review_order(uow: UnitOfWork, conversation_id: str, store_id: str | None, near: str | None = None) -> OrderReview:
    """What the chosen store can supply of the cart, and which store has everything if it can't.

    Args:
        near: a store id; the store with everything is then the one nearest to it (else the first by name).
    """
    cart = view_cart(uow, conversation_id)
    if cart.is_empty:
        return OrderReview(cart=cart, here=None, store_with_everything=None)
    market = market_of_store(uow, store_id) if store_id else None
    if market is not None:  # priced, and alternatives offered, where it would be collected
        cart = priced_in(cart, prices_in(uow, market.id, [line.sku for line in cart.lines]), market.currency)
        same_market = {store.store_id for store in list_stores(uow, market.id)}
    coverage = store_coverage(uow, conversation_id)
    here = next((store for store in coverage if store.store_id == store_id), None)
    complete = [store for store in coverage if store.has_everything and store.store_id != store_id
                and (market is None or store.store_id in same_market)]
    if near is not None and len(complete) > 1:
        order = nearest_first(uow, near, [store.store_id for store in complete])
        complete.sort(key=lambda store: order.index(store.store_id))
    return OrderReview(cart=cart, here=here, store_with_everything=complete[0] if complete else None)


def check_out(
    uow: UnitOfWork,
    provider: PaymentProvider | ProviderChooser,
    conversation_id: str,
    channel: str,
    store_id: str,
    payment_method: str,
    hold_policy: HoldPolicy,
    now: datetime | None = None,
    effect: str | None = None,
    language: str | None = None,
) -> CheckedOut:
    """Reserves the cart at the store (all or nothing) and, when paying now, creates the pay link.

    Args:
        effect: this order's key (bot.messaging.turn_effects): a message handled again places no second
            order and gets the first one back, with its link (the provider reuses an open link).
        language: the conversation's, kept on the order: the pay page speaks it (an SMS link's browser may not).

    Raises:
        EmptyCart, OutOfStock, PaymentMethodNotOffered (bot.ordering.rules); UnknownStore (bot.catalog.stock_query);
        PaymentProviderError when the provider refuses the link (the order stays reserved).
    """
    if not first_time(uow, effect):
        reference = earlier_result(uow, effect)
        uow.rollback()
        if reference is not None:
            return _checked_out(uow, provider, get_order_for(uow, reference, conversation_id), now)
    order = place_order(
        uow,
        conversation_id,
        channel,
        store_id,
        payment_method,
        contact_phone=contact_phone_for(uow.session, conversation_id),
        now=now,
        hold_policy=hold_policy,
        language=language,
    )
    clear_cart(uow, conversation_id)
    remember_result(uow, effect, order.reference)
    uow.commit()  # the order, the emptied cart and the effect key together
    return _checked_out(uow, provider, order, now)


def _checked_out(uow: UnitOfWork, provider: PaymentProvider, order: OrderSummary, now: datetime | None) -> CheckedOut:
    link = None
    if order.payment_method == PaymentMethod.LINK.value and order.status == OrderStatus.PENDING_PAYMENT.value:
        link = create_payment_link(uow, provider, order.reference, now)
    return CheckedOut(order=order, link=link)


def latest_order(uow: UnitOfWork, conversation_id: str) -> OrderSummary | None:
    orders = orders_for_conversation(uow, conversation_id)
    return orders[0] if orders else None


def renew_payment_link(
    uow: UnitOfWork,
    provider: PaymentProvider | ProviderChooser,
    conversation_id: str,
    channel: str,
    hold_policy: HoldPolicy,
    now: datetime | None = None,
    language: str | None = None,
) -> CheckedOut | None:
    """A working pay link for the shopper's latest order; an expired order is reserved again first (in
    `language`, the conversation's now, else the expired order's).

    Returns None when the conversation has no order that can still be paid by link.
    """
    now = now or clock.now()
    order = latest_order(uow, conversation_id)
    if order is None or order.payment_method != PaymentMethod.LINK.value:
        return None
    if order.status == OrderStatus.PENDING_PAYMENT.value and order.hold_expires_at > now:
        return CheckedOut(order=order, link=create_payment_link(uow, provider, order.reference, now))
    if order.status != OrderStatus.EXPIRED.value:
        return None
    clear_cart(uow, conversation_id)
    for line in order.lines:
        add_to_cart(uow, conversation_id, line.sku, line.quantity)
    return check_out(uow, provider, conversation_id, channel, order.store_id, PaymentMethod.LINK.value, hold_policy, now,
                     language=language or order.language)


@read_only
def find_shoppers_order(uow: UnitOfWork, conversation_id: str, reference: str | None) -> OrderSummary | None:
    """The order the shopper asks about: the named one (if it is theirs) or their latest.

    Raises:
        NotYourOrder: the reference belongs to another conversation (it may be verifiable by code).
    """
    if reference is None:
        return latest_order(uow, conversation_id)
    try:
        return get_order_for(uow, reference, conversation_id)
    except OrderNotFound:
        return None


def cancel_for_shopper(
    uow: UnitOfWork, provider_for: Callable[[str], PaymentProvider], conversation_id: str, reference: str
) -> ShopperCancellation:
    """Cancels the shopper's own order, releasing its stock and refunding a paid one.

    Raises:
        NotYourOrder, OrderNotFound, InvalidTransition (already collected).
    """
    get_order_for(uow, reference, conversation_id)
    cancelled = cancel_order(uow, reference, "cancelled by the shopper", actor=f"shopper:{conversation_id}")
    refunded = False
    if cancelled.refund is not None:
        execute_refund(uow, provider_for(cancelled.refund.provider), cancelled.refund)
        refunded = True
    return ShopperCancellation(cancelled=cancelled, refunded=refunded)


__all__ = [
    "CheckedOut",
    "ItemAdded",
    "NotYourOrder",
    "OrderReview",
    "ShopperCancellation",
    "add_item",
    "cancel_for_shopper",
    "check_out",
    "find_shoppers_order",
    "latest_order",
    "line_meant",
    "quantity_in",
    "renew_payment_link",
    "review_order",
]
