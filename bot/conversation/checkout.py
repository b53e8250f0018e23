"""Checkout in conversation: which store, how to pay, then the reservation (and the pay link).

"pay at pickup", "at the till", "in store" place a pay-at-pickup order (no link) exactly as the button does;
"actually collect at stockport" switches the store and reviews again.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

from bot.languages import _
from bot.kernel.config import Settings
from bot.conversation.heard import payload
from bot.conversation.market import cart_text, market_stores
from bot.conversation.reading import without_negated, yes_or_no
from bot.conversation.state import Button, Question
from bot.conversation.turn import Turn
from bot.funnel.facts import ORDERS_PLACED
from bot.ordering.rules import (
    EmptyCart,
    HoldPolicy,
    OrderError,
    OutOfStock,
    PaymentMethodNotOffered,
)
from bot.payments import ProviderChooser, provider_chooser, provider_factory
from bot.payments.base import PaymentProvider, PaymentProviderError
from bot.ordering.checkout_replies import format_checked_out, format_review
from bot.catalog.matching import match_store
from bot.ordering.checkout import check_out, review_order
from bot.catalog.stores import UnknownStore, list_stores

LINK, AT_PICKUP = "link", "at_pickup"
PAY_BY_LINK = Button("Pay now by link", payload("choose_payment", payment_method=LINK))
PAY_AT_PICKUP = Button("Pay at pickup", payload("choose_payment", payment_method=AT_PICKUP))
_AT_PICKUP_WORDS = re.compile(
    r"\b(?:at\s+pick\s*-?\s*up|pick\s*-?\s*up|on\s+collection|at\s+collection|when\s+i\s+(?:collect|pick|get\s+there|come)|"
    r"in\s+(?:the\s+)?(?:store|shop|person)|instore|at\s+the\s+(?:till|counter|store|shop)|till|counter|cash|"
    r"pay\s+(?:there|later)|later)\b",
    re.I,
)
_LINK_WORDS = re.compile(
    r"\b(?:link|online|on\s*line|pay\s+now|now\s+by|by\s+card|card\s+online|apple\s*pay|google\s*pay|paypal|klarna|"
    r"send\s+(?:me\s+)?(?:a|the)|the\s+first\s+one)\b",
    re.I,
)
# "how long will you hold it if i dont pay now?" asks about paying; it does not choose how.
_A_QUESTION = re.compile(r"^\s*(?:how|what|when|why|where|which|is|are|does|do|will|would|if)\b", re.I)
# "can i use apple pay?": a question about a way to pay that isn't one of the two choices.
_ASKS_HOW_TO_PAY = re.compile(
    r"\b(?:apple ?pay|google ?pay|paypal|klarna|clearpay|amex|american express|visa|mastercard|gift ?cards?|vouchers?)\b", re.I
)
_CHECKOUT_WORD = re.compile(r"\bcheck ?out\b|\bcheckout\b", re.I)
_OTHER_QUESTIONS = frozenset({"faq", "ask_hours", "ask_address", "order_status", "out_of_scope", "view_cart"})


@lru_cache(maxsize=4)
def _providers(settings: Settings) -> Callable[[str], PaymentProvider]:
    return provider_factory(settings)


def link_providers(turn: Turn) -> ProviderChooser:
    """The provider of each market's pay links in this deployment (the sandbox's imitation when sandboxed)."""
    return provider_chooser(turn.shop.settings, _providers(turn.shop.settings))


def refund_providers(turn: Turn) -> Callable[[str], PaymentProvider]:
    return _providers(turn.shop.settings)


def payment_method_in(text: str) -> str | None:
    """"pay at the till" -> at_pickup, "send me a link" -> link; None when the words say neither."""
    if _AT_PICKUP_WORDS.search(text):
        return AT_PICKUP
    if _LINK_WORDS.search(text):
        return LINK
    return None


async def store_named(turn: Turn) -> str | None:
    """A store the message names (a tapped button's id or the shopper's words, "not stockport" left out)."""
    named = turn.heard.entity("store") if turn.heard.tapped or not turn.text else None
    if turn.text and not named:
        found = await turn.shop.call(match_store, without_negated(turn.text))
        return found.store_id if found else None
    if named:
        found = await turn.shop.call(match_store, named)
        return found.store_id if found else None
    return None


async def review(turn: Turn, store_id: str | None = None, *, pay: str | None = None) -> None:
    """"Reserve now": can the store supply the whole basket, and how will they pay?

    `pay`: how the shopper already said they'll pay ("stick with arndale then, pay at pickup").
    """
    store_id = store_id or await store_named(turn) or turn.state.focus.store
    result = await turn.shop.call(review_order, turn.conversation_id, store_id)
    if result.cart.is_empty:
        turn.done()
        turn.say(await cart_text(turn, result.cart))
        return
    if store_id is None:
        stores = await market_stores(turn)
        options = [Button(s.name, payload("choose_store", store=s.store_id)) for s in stores]
        if result.store_with_everything is not None:  # the store that has it all first
            first = result.store_with_everything.store_id
            options.sort(key=lambda option: first not in option.payload)
        turn.ask(Question("checkout", "store", tuple(options), data={"subject": "your order"}), "Which store would you like to collect from?")
        return
    turn.state = turn.state.with_focus(store=store_id)
    here = result.here
    store_name = here.store_name if here else "That store"
    if here is not None and here.has_everything:
        said_how = pay or (payment_method_in(turn.text) if turn.text and not turn.heard.tapped and _CHECKOUT_WORD.search(turn.text) else None)
        if said_how == LINK or (said_how == AT_PICKUP and here.pay_at_pickup):
            await place(turn, said_how, store_id)  # "checkout and pay at pickup": both in one message
            return
        options = (PAY_BY_LINK, PAY_AT_PICKUP) if here.pay_at_pickup else (PAY_BY_LINK,)
        turn.ask(Question("checkout", "payment", options, data={"store": store_id, "subject": "your order"}), format_review(result, store_name))
        return
    if result.store_with_everything is not None:
        other = result.store_with_everything
        options = (Button(_("Reserve at {store}").format(store=other.store_name), payload("choose_store", store=other.store_id)),)
        turn.ask(Question("checkout", "store", options, data={"offered": other.store_id, "subject": "your order"}), format_review(result, store_name))
        return
    turn.done()
    turn.say(format_review(result, store_name))


async def review_anywhere(turn: Turn) -> None:
    """"Nearest store with everything": the store that can supply the whole basket, nearest the one in focus."""
    near = await store_named(turn) or turn.state.focus.store
    result = await turn.shop.call(review_order, turn.conversation_id, None, near)
    if result.cart.is_empty:
        turn.done()
        turn.say(await cart_text(turn, result.cart))
        return
    if result.store_with_everything is None:
        turn.done()
        turn.say("No single store has everything in your basket right now; you could remove an item and try again.")
        return
    await review(turn, result.store_with_everything.store_id)


async def place(turn: Turn, method: str, store_id: str | None = None) -> None:
    store_id = store_id or turn.state.focus.store
    if not store_id:
        await review(turn)
        return
    settings = turn.shop.settings
    try:
        result = await turn.shop.call(
            check_out, link_providers(turn), turn.conversation_id, turn.heard.channel, store_id, method,
            HoldPolicy.from_settings(settings), None, turn.effect_key("order"), turn.state.language,
        )
    except PaymentMethodNotOffered:
        stores = await turn.shop.call(list_stores)
        name = next((store.name for store in stores if store.store_id == store_id), "That store")
        turn.ask(
            Question("checkout", "payment", (PAY_BY_LINK,), data={"store": store_id, "subject": "your order"}),
            _("{name} only takes payment online, by the link I send. Shall I send you a pay link?").format(name=name),
        )
        return
    except EmptyCart:
        turn.done()
        turn.say("Your basket is empty. Ask me about a product to reserve it.")
        return
    except OutOfStock:
        turn.done()
        turn.say("Sorry, someone just reserved the last one there. Ask me to check another store.")
        return
    except PaymentProviderError:
        turn.done()
        turn.say("Your items are reserved, but I couldn't make a pay link just now. Say \"new link\" in a minute.")
        return
    except (OrderError, UnknownStore):  # a store closed or removed since the shopper chose it
        turn.done()
        turn.say(_("Sorry, I couldn't reserve that just now. Please try again, or call us on {support_phone}.").format(support_phone=settings.support_phone))
        return
    turn.done(goal="order", reference=result.order.reference)
    turn.count(ORDERS_PLACED, result.order.reference)  # a replayed turn gets the same order back: counted once
    turn.say(format_checked_out(result))


async def choose_payment(turn: Turn, question: Question | None = None) -> None:
    """The shopper picked how to pay (a tap, or words like "pay at the till")."""
    method = turn.heard.entity("payment_method") or payment_method_in(turn.text)
    store_id = (question.data.get("store") if question else None) or turn.state.focus.store
    if method not in (LINK, AT_PICKUP):
        await review(turn, store_id)
        return
    if store_id is None:
        await review(turn)
        return
    await place(turn, method, store_id)


async def answer(turn: Turn, question: Question) -> bool:
    """Replies to the checkout questions: which store, how to pay, or "reserve now?"."""
    if question.about == "confirm":  # the soft "Reserve now" offer after adding or showing the basket
        if turn.heard.intent in ("place_order", "affirm") and turn.heard.tapped or yes_or_no(turn.text) is True:
            await review(turn)
            return True
        return False
    if question.about == "payment":
        heard = turn.heard
        if not heard.tapped and _A_QUESTION.match(turn.text) and heard.intent in _OTHER_QUESTIONS and heard.confidence >= 0.4:
            return False
        if not heard.tapped and ("?" in turn.text or _A_QUESTION.match(turn.text)) and _ASKS_HOW_TO_PAY.search(turn.text):
            return False  # "can i use apple pay?": answered first, then the choice is asked again
        method = heard.entity("payment_method") if heard.tapped else payment_method_in(turn.text)
        if method is None and yes_or_no(turn.text) is True and len(question.options) == 1:
            method = LINK
        if method is not None:
            await place(turn, method, question.data.get("store"))
            return True
        store_id = await store_named(turn)
        if store_id is not None:  # "actually, collect at stockport"
            await review(turn, store_id)
            return True
        return False
    if question.about == "store":
        store_id = await store_named(turn)
        if store_id is None and yes_or_no(turn.text) is True and question.data.get("offered"):
            store_id = question.data["offered"]
        if store_id is None:
            return False
        await review(turn, store_id, pay=payment_method_in(turn.text) if turn.text and not turn.heard.tapped else None)
        return True
    return False
