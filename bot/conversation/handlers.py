"""Which module answers each kind of request (`route`), and the replies too small for a module of their own."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.languages import _
from bot.conversation import (
    alternatives,
    basket,
    checkout,
    corrections,
    focus,
    handoff,
    orders,
    phone_link,
    product_info,
    several,
    slot_answers,
    stock,
    stores,
    support,
)
from bot.conversation.market import market_of
from bot.conversation.turn import Say, Turn
from bot.funnel.facts import STOCK_QUESTIONS
from bot.languages.wording import distance_text
from bot.ordering.checkout_replies import local_time
from bot.handoff import states
from bot.ordering.checkout import find_shoppers_order
from bot.catalog.stores import nearest_stores


async def route(turn: Turn, kind: str) -> None:
    if kind in STOCK_QUESTION_KINDS:
        turn.count(STOCK_QUESTIONS, turn.effect_key("stock"))
    if kind.startswith("faq_topic:"):  # a support topic read from the words ("can my wife collect it?")
        topic = kind.removeprefix("faq_topic:")
        turn.heard = replace(turn.heard, faq_topic=f"faq/{topic}", faq_confidence=1.0, confidence=1.0)
        await _faq(turn)
        return
    await _HANDLERS[kind](turn)


async def _faq_again(turn: Turn) -> None:
    """A short follow-up to a support answer ("klarna?" after the ways to pay): the same topic's answer."""
    topic = str(turn.state.last.get("topic") or "")
    answer = support.faq_answer(topic.removeprefix("faq/"), turn.shop.settings, await market_of(turn)) if topic else None
    if answer is None:
        await _faq(turn)
        return
    turn.done(goal="faq", topic=topic)
    turn.say(answer)


async def _delivery(turn: Turn) -> None:
    query = await focus.read_query(turn)
    if query.product_id:  # "can you post the kinder fleece to me": that fleece is what we talk about next
        turn.state = turn.state.with_focus(product=query.product_id, colour=query.colour, size=query.size)
    turn.heard = replace(turn.heard, faq_topic="faq/delivery", faq_confidence=1.0, confidence=max(turn.heard.confidence, 1.0))
    await _faq(turn)


async def _faq(turn: Turn) -> None:
    last = dict(turn.state.last)
    if not support.faq(turn, await market_of(turn)):
        support.scope(turn)
        return
    topic = str(turn.state.last.get("topic") or "").removeprefix("faq/")
    if topic == "delivery" and turn.text:
        # "can you deliver to M20?": no, but here is the store nearest to it.
        found = await turn.shop.call(nearest_stores, turn.text, 1)
        if found is not None and found.stores:
            nearest = found.stores[0]
            turn.state = replace(turn.state.with_focus(store=nearest.store.store_id), home=found.place_name)
            turn.say(_("Your nearest store to {place_name} is {name} ({distance}).").format(place_name=found.place_name, name=nearest.store.name, distance=distance_text(nearest.distance_km)))
    if topic == "hold_time" and (last.get("goal") == "order" or re.search(r"\b(?:my|it|mine)\b", turn.text or "")):
        # "how long will you hold it?" after ordering: that order's own deadline.
        order = await turn.shop.call(find_shoppers_order, turn.conversation_id, None)
        if order is not None and order.status in orders.CANCELLABLE:
            held = local_time(order.hold_expires_at, tz=order.store_timezone)
            pay = " Pay by the link before then to keep it." if order.status == "pending_payment" and order.payment_method == "link" else ""
            lapse = (" If it isn't paid by then, the reservation lapses and the items go back on sale (you can reserve again)."
                     if pay else " If you can't collect it by then, the items go back on sale.")
            turn.replies[-1] = Say(_("Order {reference} at {store_name} is held for you until {held}.{pay}{lapse}").format(reference=order.reference, store_name=order.store_name, held=held, pay=pay, lapse=lapse))
    if topic in ("refund_timing", "returns") and last.get("goal") == "cancel" and last.get("reference"):
        # "will i get a refund?" right after cancelling: about that order, not refunds in general.
        turn.replies.pop()
        await orders.after_cancelling(turn)


async def _apology(turn: Turn) -> None:
    turn.say("No problem at all! Anything else I can help with?")


async def _affirm(turn: Turn) -> None:
    turn.say("Great! What can I help you with?")


async def _deny(turn: Turn) -> None:
    turn.say("OK, no problem.")


async def _abuse(turn: Turn) -> None:
    turn.state = replace(turn.state, rudeness=turn.state.rudeness + 1)
    if turn.state.rudeness >= 2:
        await handoff.hand_to_person(turn, states.ASKED_FOR_PERSON, preface="I'm sorry I haven't been able to help.")
        return
    turn.say(support.CALM)


async def _unknown(turn: Turn) -> None:
    """Not understood: ask to rephrase once; the second miss in a row brings in a person."""
    misses = turn.state.misses + 1
    turn.state = replace(turn.state, misses=misses)
    if misses >= 2:
        await handoff.hand_to_person(turn, states.NOT_UNDERSTOOD, preface=support.STILL_LOST)
        return
    turn.say(support.REPHRASE, support.HELP_BUTTONS)


async def _greet(turn: Turn) -> None:
    support.greet(turn)


async def _goodbye(turn: Turn) -> None:
    turn.say("Thanks for chatting. Bye for now!")


async def _thank(turn: Turn) -> None:
    turn.say("You're welcome! Anything else?")


async def _help(turn: Turn) -> None:
    support.show_help(turn)


async def _scope(turn: Turn) -> None:
    support.scope(turn)


async def _language(turn: Turn) -> None:
    support.languages(turn)


async def _handoff(turn: Turn) -> None:
    await handoff.hand_to_person(turn, states.ASKED_FOR_PERSON)


async def _leave_message(turn: Turn) -> None:
    handoff.ask_for_message(turn)


async def _stock(turn: Turn) -> None:
    await stock.ask(turn, focus.CHECK)


async def _reserve(turn: Turn) -> None:
    await stock.ask(turn, focus.RESERVE)


# New stock requests, counted as stock questions in the funnel (a reservation or a correction continues one).
STOCK_QUESTION_KINDS = frozenset({"stock", "colours_here", "several"})

_HANDLERS = {
    "stock": _stock,
    "reserve": _reserve,
    "price": product_info.price,
    "describe": product_info.describe,
    "compare": product_info.compare,
    "faq_again": _faq_again,
    "delivery": _delivery,
    "distance": stores.distance,
    "colours_here": alternatives.colours_here,
    "pay_at_store": stores.pay_at_store,
    "cancelled_money": orders.after_cancelling,
    "pick_listed": slot_answers.pick_listed,
    "compare_two": product_info.compare_two,
    "split_line": corrections.split_line,
    "several": several.add_several,
    "apology": _apology,
    "where": alternatives.where,
    "restock": alternatives.restock,
    "keep_order": orders.keep,
    "too_late": orders.already_cancelled,
    "correct": corrections.correct,
    "basket": basket.show,
    "remove": basket.remove,
    "quantity": basket.change_quantity,
    "checkout": checkout.review,
    "checkout_anywhere": checkout.review_anywhere,
    "clear_basket": basket.clear,
    "choose_store": checkout.review,
    "choose_payment": checkout.choose_payment,
    "order_status": orders.status,
    "cancel": orders.ask_cancel,
    "confirm_cancel": orders.cancel,
    "new_link": orders.new_link,
    "code": orders.status,
    "hours": stores.hours,
    "address": stores.address,
    "nearest": stores.nearest,
    "faq": _faq,
    "scope": _scope,
    "abuse": _abuse,
    "greet": _greet,
    "goodbye": _goodbye,
    "thank": _thank,
    "help": _help,
    "affirm": _affirm,
    "deny": _deny,
    "handoff": _handoff,
    "leave_message": _leave_message,
    "link_phone": phone_link.start,
    "unlink_phone": phone_link.unlink,
    "language": _language,
    "unknown": _unknown,
}
