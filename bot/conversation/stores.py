"""Store questions: opening hours on a day, "open now?", address and directions, nearest store to a place,
how far a store is from where the shopper is."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.kernel import clock
from bot.languages import _
from bot.conversation.checkout import store_named
from bot.conversation.heard import parse_payload, payload
from bot.conversation.market import market_of, market_stores
from bot.conversation.reading import nth_named, refers_back
from bot.conversation.state import Button, Question
from bot.conversation.turn import Turn
from bot.languages.wording import distance_text, human_list
from bot.catalog.store_replies import (
    format_day_hours,
    format_nearest_stores,
    format_store_details,
    format_store_status,
)
from bot.catalog.matching import match_store
from bot.catalog.stores import (
    example_places,
    nearest_stores,
    opening_hours_on,
    store_details,
    store_status,
)

# "open now?", "are you still open", "is arndale open right now": the state at this moment, not the day's hours.
_NOW = re.compile(r"\b(?:now|right now|still open|currently|at the moment|atm|rn|tonight|yet)\b", re.I)
_DAY = re.compile(
    r"\b(?:today|tomorrow|tmrw|tmr|mon|tue|wed|thu|fri|sat|sun)\w*|\b(?:christmas|boxing|new year|bank holiday|weekend)\b", re.I
)
HOURS, ADDRESS = "hours", "address"
_A_PLACE = re.compile(r"\b(?:in|near|at|around)\s+([a-z][a-z]+(?:\s+[a-z]+)?)\s*[?.!]*\s*$", re.I)


# "i'm in chorlton", "i live in sale", "we're near M20": where the shopper is.
_HOME = re.compile(
    r"\b(?:i(?:'m|’m| am|m)\s+(?:actually\s+|now\s+)?(?:in|at|near|by|based in|from|staying in|over in)|"
    r"i\s+(?:actually\s+|now\s+)?live\s+(?:in|near|at|by|round|around)|"
    r"we(?:'re| are)\s+(?:in|near|based in|staying in)|i'm based in)\s+(?P<place>[a-z0-9][a-z0-9' -]{1,40})",
    re.I,
)
# "how far is arndale from piccadilly?" (but "from me" / "from here" mean where the shopper is).
_FROM = re.compile(r"\bfrom\s+(?!me\b|here\b|my\b|home\b|where)(?P<place>[a-z0-9][a-z0-9' -]{1,40})", re.I)


async def _which_store(turn: Turn, topic: str) -> None:
    stores = await market_stores(turn)
    intent = "ask_hours" if topic == HOURS else "ask_address"
    buttons = tuple(Button(store.name, payload(intent, store=store.store_id)) for store in stores)
    turn.ask(Question("store_info", "store", buttons, data={"topic": topic, "said": turn.text}), "Which store?")


_PLURAL_DAYS = re.compile(r"\b(mon|tues|wednes|thurs|fri|satur|sun)days\b", re.I)
_WHICH_STORE = re.compile(r"\bwhich (?:stores?|shops?|branch(?:es)?|ones?)\b|\bwhich of (?:them|those|these)\b", re.I)


async def hours(turn: Turn, store_id: str | None = None, said: str | None = None) -> None:
    if turn.text and _WHICH_STORE.search(turn.text) and store_id is None:
        await _open_near(turn)
        return
    store_id = store_id or await store_named(turn) or offered_store_at(turn) or _store_just_named(turn) or turn.state.focus.store
    if not store_id:
        await _which_store(turn, HOURS)
        return
    words = _PLURAL_DAYS.sub(r"\1day", said if said is not None else turn.text)
    if not _DAY.search(words) and not _NOW.search(words) and turn.state.last.get("goal") == "hours":
        words = f"{turn.state.last.get('said', '')} {words}"  # "and stockport?" after "arndale tomorrow": tomorrow
    turn.state = turn.state.with_focus(store=store_id)
    turn.done(goal="hours", store=store_id, said=" ".join(m.group(0) for m in _DAY.finditer(words)) or ("now" if _NOW.search(words) else ""))
    if _NOW.search(words) and not _DAY.search(words.replace("today", "")):
        state = await turn.shop.call(store_status, store_id, clock.now())
        turn.say(format_store_status(state))
        return
    day_hours = await turn.shop.call(opening_hours_on, store_id, words, clock.now())
    turn.say(format_day_hours(day_hours))


async def _open_near(turn: Turn) -> None:
    """"Which store near didsbury is open on sundays?": every store open that day, nearest first."""
    words = _PLURAL_DAYS.sub(r"\1day", turn.text)
    offered = _offered_stores(turn) if _OF_THEM.search(turn.text) else []
    near = None if offered else await turn.shop.call(nearest_stores, words, 6)
    stores = [entry.store for entry in near.stores] if near else await market_stores(turn)
    if offered:  # "which of them is open sundays": the stores just offered, in their order
        stores = sorted((s for s in stores if s.store_id in offered), key=lambda s: offered.index(s.store_id))
    lines, closed = [], []
    for store in stores:
        day_hours = await turn.shop.call(opening_hours_on, store.store_id, words, clock.now())
        if day_hours.hours.is_closed:
            closed.append(store.name)
        else:
            lines.append(f"{store.name} {day_hours.hours.opens}–{day_hours.hours.closes}")
    open_ones = [store for store in stores if store.name not in closed]
    turn.done(goal="hours", **({"store": open_ones[0].store_id} if len(open_ones) == 1 else {}))
    if not lines:
        turn.say(_("{value} is open that day.").format(value='Neither of those' if offered else 'None of our stores'))
        return
    if offered and closed:
        turn.say(_("Open that day: {join}. {items} {value} closed.").format(join=', '.join(lines), items=human_list(closed), value='is' if len(closed) == 1 else 'are'))
        return
    where = f" near {near.place_name}" if near else ""
    turn.say(_("Open that day{where}: {join}.").format(where=where, join=', '.join(lines)))


_OF_THEM = re.compile(r"\b(?:which|any|either|both) of (?:them|those|these|the (?:two|three|stores|shops))\b|\bwhich one\b", re.I)


def _offered_stores(turn: Turn) -> list[str]:
    question = turn.state.question or (turn.state.suspended[-1] if turn.state.suspended else None)
    return [str(store) for store in (question.data.get("stores") or [])] if question else []


def _store_just_named(turn: Turn) -> str | None:
    """"Is it open til 6?" right after a store was named as the answer: that store."""
    return str(turn.state.last["store"]) if turn.state.last.get("store") and refers_back(turn.text or "") else None


def offered_store_at(turn: Turn) -> str | None:
    """"The address of the second one": that store among the stores just offered (pending or interrupted)."""
    question = turn.state.question or (turn.state.suspended[-1] if turn.state.suspended else None)
    if question is None:
        return None
    offered = [str(store) for store in question.data.get("stores") or []]
    if not offered:
        parsed = [parse_payload(option.payload) for option in question.options]
        offered = [entities["store"] for _, entities in filter(None, parsed) if "store" in entities]
    position = nth_named(turn.text or "", len(offered))
    return None if position is None else offered[position]


async def address(turn: Turn, store_id: str | None = None) -> None:
    store_id = store_id or await store_named(turn) or offered_store_at(turn) or _store_just_named(turn) or turn.state.focus.store
    if not store_id:
        await _which_store(turn, ADDRESS)
        return
    turn.state = turn.state.with_focus(store=store_id)
    turn.done(goal="address", store=store_id)
    details = await turn.shop.call(store_details, store_id)
    turn.say(format_store_details(details))


async def _examples(turn: Turn) -> str:
    """'"Northern Quarter" or "Didsbury Village"': places of the conversation's market (a Jakarta shopper gets Jakarta's)."""
    market = await market_of(turn)
    places = await turn.shop.call(example_places, market.id if market else None)
    return human_list([f'"{place}"' for place in places], "or")


async def nearest(turn: Turn) -> None:
    found = await turn.shop.call(nearest_stores, turn.text) if turn.text else None
    if found is None and turn.state.home and re.search(r"\b(?:there|here|me|home|work)\b", turn.text or "", re.I):
        found = await turn.shop.call(nearest_stores, turn.state.home)  # "the closest shop to there": the place said before
    unknown = _A_PLACE.search(turn.text or "") if found is None else None
    if unknown is not None:
        # "do you have a store in leeds": no, and here is where they are.
        stores = await market_stores(turn)
        turn.done(goal="nearest")
        turn.say(
            _("We don't have a store in {title}. Our stores are {items}.").format(title=unknown.group(1).title(), items=human_list([store.name for store in stores]))
        )
        return
    if found is None:
        turn.ask(
            Question("nearest", "place"),
            _("Which area or postcode are you near? For example {places}.").format(places=await _examples(turn)),
        )
        return
    turn.done(goal="nearest")
    if found.stores:
        turn.state = turn.state.with_focus(store=found.stores[0].store.store_id)
    turn.say(format_nearest_stores(found))


async def answer(turn: Turn, question: Question) -> bool:
    if question.goal == "distance":  # "where are you starting from?"
        found = await turn.shop.call(nearest_stores, turn.text, 1) if turn.text else None
        if found is None:
            return False
        turn.state = replace(turn.state.with_focus(store=question.data.get("store")), home=found.place_name)
        await distance(turn)
        return True
    if question.goal == "nearest":
        found = await turn.shop.call(nearest_stores, turn.text) if turn.text else None
        if found is None:
            return False
        await nearest(turn)
        return True
    store_id = await store_named(turn)
    if store_id is None:
        return False
    turn.done()
    if question.data.get("topic") == ADDRESS:
        await address(turn, store_id)
    else:
        await hours(turn, store_id, f"{question.data.get('said', '')} {turn.text}")
    return True


async def note_home(turn: Turn) -> None:
    """Remembers a place the shopper says they are in ("i'm in chorlton"), when it is one we know."""
    said = _HOME.search(turn.text or "")
    if said is None:
        return
    found = await turn.shop.call(nearest_stores, said.group("place"), 1)
    if found is not None:
        turn.state = replace(turn.state, home=found.place_name)


async def distance(turn: Turn) -> None:
    """"How far is Stockport from me?", "and didsbury?": a store's distance from where the shopper is."""
    text = turn.text or ""
    said_from = _FROM.search(text)
    near = turn.state.last.get("near") or {}
    origin = said_from.group("place") if said_from else turn.state.home or near.get("place") or ""
    words = _HOME.sub(" ", _FROM.sub(" ", text))
    named = await turn.shop.call(match_store, words) if words.strip() else None
    store_id = named.store_id if named else turn.state.focus.store or turn.state.last.get("store")
    if not store_id:
        await _which_store(turn, ADDRESS)
        return
    found = await turn.shop.call(nearest_stores, origin, 10) if origin else None
    if found is None:
        turn.ask(Question("distance", "place", data={"store": store_id}),
                 _("Where are you starting from? An area or postcode is enough, for example {places}.").format(places=await _examples(turn)))
        return
    entry = next((e for e in found.stores if e.store.store_id == store_id), None)
    turn.done(goal="distance", store=store_id)
    if entry is None:
        await address(turn, store_id)
        return
    turn.say(_("{name} is {distance} from {place_name} as the crow flies.").format(name=entry.store.name, distance=distance_text(entry.distance_km), place_name=found.place_name))


async def stores_nearest_place(turn: Turn, store_ids: list[str]) -> tuple[list[str], str]:
    """`store_ids` nearest first from a place the message names, else where the shopper said they are, and
    that place's name (as given, and "", when we know neither)."""
    found = await turn.shop.call(nearest_stores, _HOME.sub(" ", turn.text or ""), 20) if turn.text else None
    if found is None and turn.state.home:
        found = await turn.shop.call(nearest_stores, turn.state.home, 20)
    if found is None or found.place_name in {entry.store.name for entry in found.stores if entry.store.store_id in store_ids}:
        return store_ids, ""  # no place, or the place is one of the offered stores themselves
    order = {entry.store.store_id: entry.distance_km for entry in found.stores}
    return sorted(store_ids, key=lambda store_id: order.get(store_id, float("inf"))), found.place_name


async def pay_at_store(turn: Turn) -> None:
    """"Can I pay when I pick up at Trafford?": whether that store takes payment at the counter."""
    store_id = await store_named(turn) or turn.state.focus.store
    if not store_id:
        await _which_store(turn, ADDRESS)
        return
    details = await turn.shop.call(store_details, store_id)
    turn.done(goal="pay_at_store", store=store_id)
    name = details.store.name
    if details.pay_at_pickup:
        turn.say(_('Yes, {name} takes payment when you collect (card or cash): choose "Pay at pickup" when you reserve.').format(name=name))
    else:
        turn.say(_("Sorry, {name} only takes payment online, by the link we send when you reserve; it can't take payment at the counter.").format(name=name))
