"""Replies to an offer after a stock answer: "Reserve it?", or "Reserve at Didsbury?" when the asked store
had none ("yes", "the second store", "whichever is closest to me", "whatever you've got there")."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.languages import _
from bot.conversation.focus import (
    CHECK,
    RESERVE,
    entities_focus,
    heard_focus,
    options_of,
    read_query,
    specific,
)
from bot.conversation.heard import payload
from bot.conversation.market import market_stock
from bot.conversation.reading import (
    A_QUESTION,
    is_correction,
    refers_back,
    wants_it,
    yes_or_no,
)
from bot.conversation.several import items_in
from bot.conversation.state import Button, Question
from bot.conversation.stock import SOME, ask_product, proceed
from bot.conversation.turn import Turn
from bot.languages.wording import human_list
from bot.catalog.stock_replies import option_words, size_label
from bot.catalog.matching import match_store
from bot.ordering.checkout import quantity_in
from bot.catalog.inventory import check_stock
from bot.catalog.stores import nearest_first

_OTHER_TOPICS = frozenset({"ask_hours", "ask_address", "ask_nearest_store", "faq", "order_status", "view_cart", "request_human"})
_CLOSEST = re.compile(r"\b(?:whichever|closest|nearest|closer|nearer)\b", re.I)
_WHICH_IS_CLOSER = re.compile(r"\b(?:which|what)(?:\s+\w+){0,2}\s+(?:is|are|'s)\s+(?:closer|closest|nearer|nearest|easier|easiest|quicker|quickest|handier|better for me)\b|\bfurther\b|\bwhich is near", re.I)
# "whatever you've got there", "i'll take the 2": what the asked store has, though fewer than wanted.
_WHAT_IT_HAS = re.compile(r"\bwhat(?:ever)?\s+(?:you|u|they)(?:'ve|\s+have)?\s+got\b|\b(?:all|what)\s+(?:you|they)\s+have\b|\bthe ones? (?:you|they) have\b", re.I)
# A statement naming an offered store with a word of agreement: "didsbury's fine, i'll get them there".
_ACCEPT = re.compile(
    r"\b(?:fine|ok|okay|great|perfect|lovely|cool|that'?ll do|i'?ll (?:get|take|have|go|collect|pick)|go with|do it|then|"
    r"there|please|pls|works|suits|is good|easier|better)\b",
    re.I,
)
# "ok 2 from there please", "3 please": how many, as the whole answer (not "in a 10", a size).
_HOW_MANY_THEN = re.compile(
    r"^\s*(?:(?:ok|okay|yes|yeah|yep|go on|right|fine|great|cool|then)[\s,]+)*(?:\d{1,2}|one|two|three|four|five|six)"
    r"(?:\s+(?:please|pls|from there|of them|of those|then|thanks|ta|there))*\s*[.!]*\s*$",
    re.I,
)
_ONE_NEAR = re.compile(r"\b(?:the )?one (?:in|near|by|closest to|nearest to|nearest)\b|\bi (?:work|live|am|'m) (?:near|in|by)\b|\bim (?:near|in|by)\b", re.I)
_ANY_COLOUR_THERE = re.compile(r"\b(?:whatever|any|which ?ever) colou?rs?\b", re.I)
_REFUSES = re.compile(r"\b(?:miles away|too far|far away|a (?:bit|long) (?:far|way)|bit far|a pain|no good|can'?t get (?:to|there)|cannot get|out of (?:my|the) way)\b", re.I)
_OTHER_ONE = re.compile(r"\bthe other (?:one|store|shop|place)\b", re.I)
_FOLLOW_UP = re.compile(r"^\s*(?:and|what about|how about|or)\b", re.I)


async def _store_chosen(turn: Turn, question: Question, wants: bool) -> tuple[str | None, int | None]:
    """Which store a reply to "Reserve at Didsbury?" settles on, and how many (None when it settles nothing)."""
    from bot.conversation.checkout import store_named
    from bot.conversation.stores import stores_nearest_place

    heard, text = turn.heard, turn.text or ""
    offered = [str(store) for store in question.data.get("stores") or []]
    here = str(question.data.get("here") or "")
    here_available = int(question.data.get("here_available") or 0)
    quantity = quantity_in(text) if text else None
    named = heard.entity("store") if heard.tapped else await store_named(turn)
    if _OTHER_ONE.search(text) and len(offered) == 2:  # "not trafford, ... the other one"
        mentioned = await turn.shop.call(match_store, text)
        others = [store for store in offered if not mentioned or store != mentioned.store_id]
        if len(others) == 1:
            return others[0], quantity
    if named and (named in offered or (named == here and here_available) or wants):
        return named, quantity
    if _WHAT_IT_HAS.search(text) and here and here_available:
        return here, here_available  # "fine, whatever you've got there"
    if quantity and 0 < quantity <= here_available:  # "just the 2 then": what this store has
        return here, quantity
    if refers_back(text) and turn.state.last.get("goal") in ("address", "hours", "distance") and turn.state.last.get("store") in offered:
        return str(turn.state.last["store"]), quantity  # "ok that one" after asking where one of them is
    if _ONE_NEAR.search(text) and offered:  # "the one in town pls, i work near piccadilly"
        ranked, place = await stores_nearest_place(turn, offered)
        if place:
            return ranked[0], quantity
    if (wants or _CLOSEST.search(text)) and offered:
        # "yes" / "reserve there": the nearest one that has it; "whichever is closest to me": nearest to them.
        return (await stores_nearest_place(turn, offered))[0][0] if _CLOSEST.search(text) else offered[0], quantity
    return None, None


def _store_title(question: Question, store_id: str) -> str:
    option = next((o for o in question.options if f'"{store_id}"' in o.payload), None)
    prefix = _("Reserve at {store}").split("{store}")[0]  # the button's title as shown, in the conversation's language
    return option.title.removeprefix(prefix).removeprefix("Reserve at ") if option else store_id


def towards(question: Question, store_id: str) -> Question:
    """The offer with `store_id` first: "yes" / "reserve it there" then means that store."""
    stores = [str(s) for s in question.data.get("stores") or []]
    if store_id not in stores:
        return question
    stores = [store_id] + [s for s in stores if s != store_id]
    return replace(question, data={**question.data, "stores": stores, "again": _("Shall I reserve it at {store_title}?").format(store_title=_store_title(question, store_id))})


async def _say_closest(turn: Turn, question: Question) -> None:
    """"Which of those is nearest to urmston?": the offered store nearest that place (or the shopper), as the offer."""
    from bot.conversation.stores import stores_nearest_place

    offered = [str(s) for s in question.data.get("stores") or []]
    ranked, place = await stores_nearest_place(turn, offered)
    nearest = ranked[0] if ranked else offered[0]
    name = _store_title(question, nearest)
    lead = _("Of those, {name} is the closest to {place}.").format(name=name, place=place) if place else _("{name} is the closest of those.").format(name=name)
    turn.state = replace(turn.state, last={"goal": "distance", "store": nearest})  # "is it open til 6?": that store
    turn.ask(towards(question, nearest), f"{lead} {_('Reserve at {store}?').format(store=name)}", remember=str(question.data.get("text", "")))


async def _names_offered_store(turn: Turn, question: Question) -> bool:
    from bot.conversation.checkout import store_named

    return await store_named(turn) in [str(store) for store in question.data.get("stores") or []]


async def answer_offer(turn: Turn, question: Question) -> bool:
    """"Reserve it?" after a stock answer, or "reserve at Didsbury?" when this store had none."""
    heard, text = turn.heard, turn.text or ""
    said = None if heard.tapped else yes_or_no(text)
    if said is False:
        turn.done()
        turn.say("OK. Anything else I can help with?")
        return True
    wants = said is True or wants_it(text) or heard.intent == "reserve_item" and (heard.tapped or heard.confidence >= 0.8)
    if question.goal == "reserve_there" and _WHICH_IS_CLOSER.search(text) and not wants:
        await _say_closest(turn, question)
        return True
    if question.goal == "reserve_there" and not heard.tapped and _ANY_COLOUR_THERE.search(text):
        await colours_here(turn, RESERVE)  # "can't get to trafford. whatever colour salford have is fine"
        return True
    if not heard.tapped and _REFUSES.search(text) and not wants:
        return False  # "altrincham's miles away. has trafford got a large?": not a yes to Altrincham
    if not heard.tapped and await items_in(turn):
        return False  # "add them, plus ridge trousers and socks": several things, handled as such
    if not heard.tapped and (named := (await read_query(turn)).product_id) and named != turn.state.focus.product:
        return False  # "add a green camp chair and a stove": a new request, not an answer to this offer
    counted = None if heard.tapped else _HOW_MANY_THEN.match(text)
    if counted:
        wants = True  # "ok 2 from there please"
    settled = question.goal == "reserve_there" and not heard.tapped and bool(
        _WHAT_IT_HAS.search(text) or _CLOSEST.search(text) or _OTHER_ONE.search(text) or _ONE_NEAR.search(text)
        or ("?" not in text and _ACCEPT.search(text) and await _names_offered_store(turn, question))
    )
    if not heard.tapped and not wants and not settled and (
        said is None and (heard.confidence >= 0.5 and heard.intent in _OTHER_TOPICS or A_QUESTION.match(text))
        or ("?" in text and said is None) or _FOLLOW_UP.match(text)
    ):
        return False  # "when does arndale close?", "can you deliver instead?", "and didsbury?": a question, not a yes
    if not heard.tapped and not settled and (is_correction(text) or re.match(r"^\s*(?:no|not|none)\b", text, re.I)):
        return False  # "not the kids one, an adult one": a correction, not a yes
    store_id, quantity = None, None
    if question.goal == "reserve_there":
        store_id, quantity = await _store_chosen(turn, question, wants)
        if store_id is None:
            return False
    elif not wants:
        return False
    elif counted:
        quantity = quantity_in(counted.group(0))
    if question.goal == "reserve_offer" and SOME.search(text) and not quantity_in(text):
        options = await options_of(turn, turn.state.focus.product) if turn.state.focus.product else None
        if options is not None:  # "i want to reserve a few": how many?
            turn.ask(Question(RESERVE, "quantity", data={"subject": f"the {options.name}"}),
                     _("How many of the {name} would you like?").format(name=options.name))
            return True
    focus = entities_focus(turn, turn.state.focus) if heard.tapped else (await heard_focus(turn, keep_product=True))[0]
    focus = replace(focus, store=store_id or focus.store)
    if quantity:
        focus = replace(focus, quantity=quantity)
    turn.state = replace(turn.state, focus=focus)
    turn.done()
    await proceed(turn, RESERVE)
    return True


async def colours_here(turn: Turn, goal: str = CHECK) -> None:
    """"None of those, any other colours at Arndale?": the colours that store has now, in the size asked."""
    focus, _unused = await heard_focus(turn, keep_product=True)
    turn.state = replace(turn.state, focus=replace(focus, colour=None))
    assert focus.product
    if not focus.store:
        await proceed(turn, CHECK)  # which store?
        return
    size = specific(focus.size)
    answer = await turn.shop.call(check_stock, focus.product, focus.store, None, size)
    others = [colour for colour in answer.colours_in_stock if colour != focus.colour]
    counts = [(colour, (await turn.shop.call(check_stock, focus.product, focus.store, colour, size)).available_here) for colour in others]
    in_size = f" in {size_label(size)}" if size else ""
    if not counts:
        turn.done(goal=CHECK)
        turn.say(_("Sorry, {name} has no other colours of the {product_name}{in_size} right now.").format(name=answer.store.name, product_name=answer.product_name, in_size=in_size))
        return
    listed = human_list([f"{colour.lower()} ({count})" for colour, count in counts])
    buttons = tuple(Button(colour, payload("inform", colour=colour)) for colour, _count in counts)
    # After "whatever colour salford have is fine" picking one reserves it; after "any other colours?" it is checked.
    turn.ask(Question(goal, "colour", buttons, data={"subject": f"the {answer.product_name}"}),
             _("{name} has the {product_name}{in_size} in {listed}. Which colour would you like?").format(name=answer.store.name, product_name=answer.product_name, in_size=in_size, listed=listed))


async def restock(turn: Turn) -> None:
    """"When are you getting more in?": no dates in the chat; what is there now, and who can say."""
    from bot.catalog.stores import store_details

    focus = turn.state.focus
    store = await turn.shop.call(store_details, focus.store) if focus.store else None
    call = _("{name} may know: call them on {phone}.").format(name=store.store.name, phone=store.phone) if store else _("Our stores may know: call {support_phone}.").format(support_phone=turn.shop.settings.support_phone)
    turn.done(goal="restock")
    turn.say(_("Sorry, I can't see delivery dates: stores get new stock most weeks. {call}").format(call=call))
    if focus.product and focus.store:
        await colours_here(turn)  # what that store has now instead


async def where(turn: Turn) -> None:
    """"Does anywhere have all 4?": the stores with enough, nearest first, one tap or a word to reserve there."""
    focus, query = await heard_focus(turn, keep_product=True)
    wanted = query.quantity or quantity_in(turn.text or "") or focus.quantity or 1
    turn.state = replace(turn.state, focus=replace(focus, quantity=wanted))
    if not focus.product:
        await ask_product(turn, CHECK, query)
        return
    options = await options_of(turn, focus.product)
    found = [(store, count) for store, count in await market_stock(turn, focus.product, specific(focus.colour),
                                                                      specific(focus.size)) if count >= wanted]
    which = option_words(specific(focus.colour), specific(focus.size))
    item = (_("{count} of the {product} in {options}") if which else _("{count} of the {product}")).format(
        count=wanted, product=options.name, options=which)
    if not found:
        turn.done(goal=CHECK)
        turn.say(_("Sorry, no store has {item} right now.").format(item=item))
        return
    stores = [store for store, _where in found][:3]
    if focus.store:  # nearest to the store asked about first
        order = await turn.shop.call(nearest_first, focus.store, [store.store_id for store in stores])
        stores = sorted(stores, key=lambda store: order.index(store.store_id))
    buttons = tuple(Button(_("Reserve at {store}").format(store=store.name), payload("reserve_item", store=store.store_id, quantity=wanted))
                    for store in stores)
    listed = human_list([f"{store.name} ({count})" for store, count in found if store in stores])
    data = {"soft": True, "stores": [store.store_id for store in stores], "here": focus.store or "", "here_available": 0,
            "again": _("Shall I reserve {wanted} at {name}?").format(wanted=wanted, name=stores[0].name)}
    turn.done(goal=CHECK)
    turn.ask(Question("reserve_there", "store", buttons, data=data),
             (_("{stores} has {item}.") if len(stores) == 1 else _("{stores} have {item}.")).format(stores=listed, item=item)
             + " " + _("Reserve at {store}?").format(store=stores[0].name))
