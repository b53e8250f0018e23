"""Store questions: opening hours on a day, "open now?", address and directions, nearest store to a place."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from bot.conversation.checkout import store_named
from bot.conversation.heard import payload
from bot.conversation.state import Button, Question
from bot.conversation.turn import Turn
from bot.replies import human_list
from bot.replies.stores import format_day_hours, format_nearest_stores, format_store_details, format_store_status
from bot.services.stores import list_stores, nearest_stores, opening_hours_on, store_details, store_status

# "open now?", "are you still open", "is arndale open right now": the state at this moment, not the day's hours.
_NOW = re.compile(r"\b(?:now|right now|still open|currently|at the moment|atm|rn|tonight|yet)\b", re.I)
_DAY = re.compile(
    r"\b(?:today|tomorrow|tmrw|tmr|mon|tue|wed|thu|fri|sat|sun)\w*|\b(?:christmas|boxing|new year|bank holiday|weekend)\b", re.I
)
HOURS, ADDRESS = "hours", "address"
_A_PLACE = re.compile(r"\b(?:in|near|at|around)\s+([a-z][a-z]+(?:\s+[a-z]+)?)\s*[?.!]*\s*$", re.I)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


async def _which_store(turn: Turn, topic: str) -> None:
    stores = await turn.shop.call(list_stores)
    intent = "ask_hours" if topic == HOURS else "ask_address"
    buttons = tuple(Button(store.name, payload(intent, store=store.store_id)) for store in stores)
    turn.ask(Question("store_info", "store", buttons, data={"topic": topic, "said": turn.text}), "Which store?")


_PLURAL_DAYS = re.compile(r"\b(mon|tues|wednes|thurs|fri|satur|sun)days\b", re.I)
_WHICH_STORE = re.compile(r"\bwhich (?:stores?|shops?|branch(?:es)?|ones?)\b", re.I)


async def hours(turn: Turn, store_id: str | None = None, said: str | None = None) -> None:
    if turn.text and _WHICH_STORE.search(turn.text) and store_id is None:
        await _open_near(turn)
        return
    store_id = store_id or await store_named(turn) or turn.state.focus.store
    if not store_id:
        await _which_store(turn, HOURS)
        return
    words = _PLURAL_DAYS.sub(r"\1day", said if said is not None else turn.text)
    if not _DAY.search(words) and not _NOW.search(words) and turn.state.last.get("goal") == "hours":
        words = f"{turn.state.last.get('said', '')} {words}"  # "and stockport?" after "arndale tomorrow": tomorrow
    turn.state = turn.state.with_focus(store=store_id)
    turn.done(goal="hours", said=" ".join(m.group(0) for m in _DAY.finditer(words)) or ("now" if _NOW.search(words) else ""))
    if _NOW.search(words) and not _DAY.search(words.replace("today", "")):
        state = await turn.shop.call(store_status, store_id, utc_now())
        turn.say(format_store_status(state))
        return
    day_hours = await turn.shop.call(opening_hours_on, store_id, words, utc_now())
    turn.say(format_day_hours(day_hours))


async def _open_near(turn: Turn) -> None:
    """"Which store near didsbury is open on sundays?": every store open that day, nearest first."""
    words = _PLURAL_DAYS.sub(r"\1day", turn.text)
    near = await turn.shop.call(nearest_stores, words, 6)
    stores = [entry.store for entry in near.stores] if near else await turn.shop.call(list_stores)
    lines = []
    for store in stores:
        day_hours = await turn.shop.call(opening_hours_on, store.store_id, words, utc_now())
        if not day_hours.hours.is_closed:
            lines.append(f"{store.name} {day_hours.hours.opens}–{day_hours.hours.closes}")
    turn.done(goal="hours")
    if not lines:
        turn.say("None of our stores is open that day.")
        return
    where = f" near {near.place_name}" if near else ""
    turn.say(f"Open that day{where}: {', '.join(lines)}.")


async def address(turn: Turn, store_id: str | None = None) -> None:
    store_id = store_id or await store_named(turn) or turn.state.focus.store
    if not store_id:
        await _which_store(turn, ADDRESS)
        return
    turn.state = turn.state.with_focus(store=store_id)
    turn.done(goal="address")
    details = await turn.shop.call(store_details, store_id)
    turn.say(format_store_details(details))


async def nearest(turn: Turn) -> None:
    found = await turn.shop.call(nearest_stores, turn.text) if turn.text else None
    unknown = _A_PLACE.search(turn.text or "") if found is None else None
    if unknown is not None:
        # "do you have a store in leeds": no, and here is where they are.
        stores = await turn.shop.call(list_stores)
        turn.done(goal="nearest")
        turn.say(
            f"We don't have a store in {unknown.group(1).title()} - all {len(stores)} of our stores are in Greater Manchester: "
            f"{human_list([store.name for store in stores])}."
        )
        return
    if found is None:
        turn.ask(
            Question("nearest", "place"),
            'Which area or postcode are you near? For example "Chorlton", "Piccadilly" or "M20".',
        )
        return
    turn.done(goal="nearest")
    if found.stores:
        turn.state = turn.state.with_focus(store=found.stores[0].store.store_id)
    turn.say(format_nearest_stores(found))


async def answer(turn: Turn, question: Question) -> bool:
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
