"""Replies to the stock questions ("which colour?", "which one?", "which store?", "how many?"): whatever
the reply names fills its slot and the stock step carries on; "the cheaper one" / "the red one" pick from a list."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.languages import _
from bot.conversation import offers
from bot.conversation.focus import (
    ANY,
    ANY_ANSWER,
    ANY_WITHIN,
    CHECK,
    COMMON_COLOURS,
    RESERVE,
    entities_focus,
    focus_options,
    heard_focus,
    options_of,
    read_query,
)
from bot.conversation.heard import parse_payload
from bot.conversation.product_info import ASKS_ABOUT_IT, describe
from bot.conversation.reading import last_said, nth_named, refers_back, titles_named, wants_it
from bot.conversation.state import Button, Question
from bot.conversation.stock import ask_option, ask_product, proceed
from bot.conversation.turn import Turn
from bot.languages.wording import human_list
from bot.catalog.stock_replies import format_product_options
from bot.catalog.stock_query import ProductOptions, StockQuery
from bot.ordering.checkout import quantity_in
from bot.catalog.search import best_of, names_a_kind


def _goal_after(question: Question) -> str:
    """The goal a reply to `question` serves: a product picked from a list goes on to what the list was for."""
    return str(question.data.get("then", CHECK)) if question.goal == "pick" else question.goal


def _unknown_colour(text: str, options: ProductOptions) -> str | None:
    said = {word.strip(".,!?") for word in text.lower().split()}
    offered = {colour.lower() for colour in options.colours}
    return next((colour for colour in COMMON_COLOURS if colour in said and colour not in offered), None)


def _unknown_size(query: StockQuery, text: str, options: ProductOptions) -> str | None:
    if query.size and query.size not in options.sizes:
        return query.size
    bare = text.strip().upper()
    if re.fullmatch(r"\d{1,2}(?:\.5)?|XXS|XS|S|M|L|XL|XXL|XXXL", bare) and bare not in options.sizes:
        return bare
    return None


# Intents that mean the reply is about something else, and how sure the classifier must be.
_STOCK_CHECK = re.compile(r"\b(?:in stock|have you got|got any|do you have|is there|are there|available|any left)\b", re.I)
_OTHER_TOPIC_INTENTS = {
    "out_of_scope": 0.55, "faq": 0.6, "ask_hours": 0.6, "ask_address": 0.6, "ask_nearest_store": 0.6, "view_cart": 0.6,
    "order_status": 0.6, "request_human": 0.6, "greet": 0.8, "goodbye": 0.8, "thank": 0.8, "insult": 0.6,
}
_SLOT_WORDS = re.compile(r"\b(?:colou?r|size|sz|uk|small|medium|large|xs|s|m|l|xl|xxl|\d{1,2}(?:\.5)?)\b", re.I)


def _names_a_value(text: str) -> bool:
    """A colour or a size itself ("navy", "M", "9"), not just the word "colour" or "size"."""
    words = text.lower().split()
    return any(colour in words for colour in COMMON_COLOURS) or bool(re.search(r"\b(?:xxs|xs|s|m|l|xl|xxl|\d{1,2}(?:\.5)?)\b", text, re.I))


def _names_a_slot_value(text: str) -> bool:
    return bool(_SLOT_WORDS.search(text)) or any(colour in text.lower().split() for colour in COMMON_COLOURS)


_REFINES = re.compile(r"\b(?:under|below|less than|cheaper than|over|above|more than|between|up to|max|budget|for (?:kids|children|a child|my (?:son|daughter)))\b", re.I)
_WARMEST = re.compile(r"\b(?:warmest|lightest|waterproofest|most waterproof)\b", re.I)
_WARMEST_MEANS = {"warmest": "warm insulated", "lightest": "lightweight", "waterproofest": "waterproof", "most waterproof": "waterproof"}
_CHEAPER = re.compile(r"\b(?:cheap|cheaper|cheapest|less expensive|lower price|budget)\b", re.I)
_DEARER = re.compile(r"\b(?:dearer|dearest|more expensive|most expensive|pricier|priciest|best one|top of the range)\b", re.I)


def _picked_by_price(text: str, question: Question) -> Button | None:
    """"the cheaper one" / "the most expensive" / "the red one" among the products listed."""
    colours = list(question.data.get("colours") or [])
    said = {word.strip(".,!?") for word in text.lower().split()}
    if len(colours) == len(question.options) and said & set(COMMON_COLOURS):
        having = [i for i, offered in enumerate(colours) if said & set(offered)]
        if len(having) == 1:  # "the red one": the only product listed that comes in red
            return question.options[having[0]]
    prices = list(question.data.get("prices") or [])
    if len(prices) != len(question.options) or not prices:
        return None
    if _CHEAPER.search(text):
        return question.options[prices.index(min(prices))]
    if _DEARER.search(text):
        return question.options[prices.index(max(prices))]
    return None


_PRICE_WORDS = re.compile(r"\b(?:how much|price|prices|cost|costs)\b", re.I)


def _picked_by_words(text: str, question: Question) -> Button | None:
    """"How much is the tent", "does the scafell come in black": the one listed product the words name."""
    named = titles_named(text, [option.title for option in question.options])
    return question.options[named[0]] if len(named) == 1 else None


async def _describe_listed(turn: Turn, question: Question) -> None:
    named = titles_named(turn.text, [option.title for option in question.options])
    products = [entities["product"] for _, entities in filter(None, (parse_payload(question.options[i].payload) for i in named))]
    lines = [format_product_options(await options_of(turn, product)) for product in products]
    turn.ask(question, "\n".join(lines + [_("Which one would you like?")]), remember=str(question.data.get("text", "")),
             show_options=not turn.on_phone)
    turn.state = turn.state.asking(replace(question, asked=1, data=turn.state.question.data))  # answered, not a miss


def _picked_by_position(text: str, question: Question) -> Button | None:
    """"How much is the second one?": that product of the list, named inside a longer message."""
    position = nth_named(text, len(question.options), with_noun=True)
    return None if position is None else question.options[position]


async def _also_said(turn: Turn) -> None:
    """The colour, size, store and count typed along with the product picked ("the red one at trafford")."""
    colour, size = await focus_options(turn, turn.text)
    query = await read_query(turn)
    changes = {"colour": colour, "size": size, "store": query.store_id, "quantity": query.quantity}
    turn.state = turn.state.with_focus(**{slot: value for slot, value in changes.items() if value})


async def answer(turn: Turn, question: Question) -> bool:
    """A reply to "which product / colour / size / store?": fills whatever it names and carries on.

    Returns False when the reply names nothing for this step (the engine then decides whether it is a
    new request or asks again).
    """
    goal = _goal_after(question)
    heard = turn.heard
    # (A typed reply read as an option keeps its words: "grey in large, put 2 aside" is still a reservation.)
    if heard.intent == "reserve_item" and (heard.tapped or heard.confidence >= 0.8) or (turn.text and wants_it(turn.text)):
        goal = RESERVE  # "reserve 2" while asked for the colour: the answer will be reserved, not just checked
    elif turn.text and _PRICE_WORDS.search(turn.text):
        goal = "price"  # "how much is the navy one", "how much in a size 12": the price, not yet a reservation
    elif turn.text and _STOCK_CHECK.search(turn.text):
        goal = CHECK  # "is it in stock at stockport?" after "want that one?": a question, not a reservation
    if heard.tapped:
        if heard.intent not in ("inform", "check_stock", "reserve_item") or not heard.entities:
            return False
        turn.state = replace(turn.state, focus=entities_focus(turn, turn.state.focus))
        product = turn.state.focus.product
        priced = bool(turn.text and _PRICE_WORDS.search(turn.text))  # typed: "how much is the second one"
        if question.goal == "pick" and product and turn.text and ASKS_ABOUT_IT.search(turn.text):
            await describe(turn)  # "does the scafell come in black?": about it, not yet a stock check
            return True
        if question.goal == "pick" and product:
            if turn.text:
                await _also_said(turn)  # typed: "the red one at trafford?"
            if not priced:
                turn.say(format_product_options(await options_of(turn, product)))  # what was picked, with its price
        await proceed(turn, RESERVE if heard.intent == "reserve_item" else "price" if priced else goal)
        return True
    text = turn.text
    if question.goal == "pick":
        # A product the catalogue recognises outright ("does the scafell come in black") wins over title words.
        named = (await read_query(turn)).product_id
        picked = next((option for option in question.options if named and f'"{named}"' in option.payload), None) if named else (
            _picked_by_words(text, question) or _picked_by_price(text, question))
        picked = picked or _picked_by_position(text, question)
        if picked is None and names_a_listed_one(turn):
            await pick_listed(turn)  # "how much is the bigger one"
            return True
        if picked is None and not named and ASKS_ABOUT_IT.search(text) and refers_back(text) and question.options:
            picked = question.options[0]  # "is it itchy?" under a list: the first, best fit
        if picked is None and not named and ASKS_ABOUT_IT.search(text) and len(titles_named(text, [o.title for o in question.options])) > 1:
            await _describe_listed(turn, question)  # "do the boots come in brown": each of the boots listed
            return True
        if picked is not None:
            turn.heard = replace(turn.heard.as_payload(picked.payload), text=text)  # keep the words: "the red one"
            return await answer(turn, question)
        if question.data.get("query") and _REFINES.search(text) and not named:
            # "ok what about under 20 then": the same search with the new limit (read first, so it wins);
            # "what about boots under 100": a new search, since it names its own kind of thing.
            new_kind = await turn.shop.call(names_a_kind, text)
            if await offers.browse(turn, goal, text if new_kind else f"{text} {question.data['query']}"):
                return True
        warmer = _WARMEST.search(text)
        if warmer and question.data.get("query"):  # "and the warmest?" after "cheapest jacket"
            earlier = re.sub(r"\b(?:cheapest|cheaper|dearest|most expensive|priciest|whats|what's|your)\b", " ", str(question.data["query"]))
            return await offers.browse(turn, goal, f"{earlier} {_WARMEST_MEANS[warmer.group(0).lower()]}")
    if question.about == "quantity":
        count = quantity_in(text)
        if count is None:
            return False
        turn.state = turn.state.with_focus(quantity=count)
        await proceed(turn, RESERVE)
        return True
    if question.about in ("colour", "size") and (ANY_ANSWER.match(text) or ANY_WITHIN.search(text)):
        turn.state = turn.state.with_focus(**{question.about: ANY})
        await proceed(turn, goal)
        return True
    if question.about in ("colour", "size") and names_a_listed_one(turn):
        return False  # "ok prob the cheaper one tbh": another of the products just listed
    if question.about in ("colour", "size") and ASKS_ABOUT_IT.search(text) and not _names_a_value(text):
        return False  # "what colours do they come in?": a question about the product, answered before the choice
    if _OTHER_TOPIC_INTENTS.get(heard.intent or "", 1.1) <= heard.confidence and not _names_a_slot_value(text):
        return False  # a confident question about something else ("what's the weather?", "when do you close?")
    if question.about == "store" and refers_back(text) and turn.state.focus.store:
        await proceed(turn, goal)  # "ok that one" after the nearest stores were listed
        return True
    focus, query = await heard_focus(turn, keep_product=True)
    if question.goal == "pick" and not focus.product and len(question.options) > 1:
        # "green M at arndale?" while choosing from the list: kept for later, and the choice asked again.
        turn.state = replace(turn.state, focus=focus)
        listed = str(question.data.get("text", ""))
        turn.ask(question, _("Which one? {items}").format(items=human_list([option.title for option in question.options], 'or')), remember=listed,
                 show_options=not turn.on_phone)
        return True
    if focus != turn.state.focus:
        picked = question.goal == "pick" and focus.product != turn.state.focus.product
        turn.state = replace(turn.state, focus=focus)
        if picked and focus.product:
            turn.say(format_product_options(await options_of(turn, focus.product)))
        await proceed(turn, goal)
        return True
    product = turn.state.focus.product
    if product and question.about in ("colour", "size"):
        options = await options_of(turn, product)
        settled = last_said(text)  # "8 - no wait 8.5": the 8.5
        unknown = _unknown_colour(settled, options) if question.about == "colour" else _unknown_size(query, settled, options)
        if unknown:
            await ask_option(turn, goal, question.about, options, unknown=unknown)
            return True
    if question.about == "product" and query.product_name:
        if not await offers.browse(turn, goal):
            await ask_product(turn, goal, query)
        return True
    return False


_OTHER_ONE = re.compile(r"\bthe other (?:one|ones|pair)\b", re.I)


async def pick_listed(turn: Turn) -> None:
    """"Actually the biggest one", "the warmer one", "the other one": a product from the list just shown."""
    listed = [entities["product"] for _, entities in filter(None, map(parse_payload, (b.payload for b in turn.state.listed)))
              if "product" in entities]
    focus = turn.state.focus
    if _OTHER_ONE.search(turn.text):
        others = [product for product in listed if product != focus.product]
        chosen = others[0] if len(others) == 1 else None
    else:
        chosen = await turn.shop.call(best_of, listed, turn.text)
    if chosen is None:
        options = tuple(turn.state.listed)
        turn.ask(Question("pick", "product", options, data={"then": CHECK}),
                 _("Which one? {items}").format(items=human_list([option.title for option in options], 'or')), show_options=not turn.on_phone)
        return
    turn.state = replace(turn.state, focus=turn.state.focus.about_product(chosen))
    await _also_said(turn)  # "the other one then, black 8.5 at arndale"
    options = await options_of(turn, chosen)
    asked = re.search(rf"\bwhich\b.*?\b({_QUALITIES})\b", turn.text, re.I)
    lead = _("The {name} is {quality}.").format(name=options.name, quality=asked.group(1).lower()) + " " if asked else ""  # "which ones warmer?"
    turn.say(f"{lead}{format_product_options(options)}")
    await proceed(turn, RESERVE if wants_it(turn.text) else CHECK)


def names_a_listed_one(turn: Turn) -> bool:
    """"the biggest one" / "the other one" while a list of products is fresh."""
    return len(turn.state.listed) >= 2 and bool(_OTHER_ONE.search(turn.text) or _QUALITY_ONE.search(turn.text))


_QUALITIES = r"(?:biggest|largest|bigger|larger|smallest|smaller|warmest|warmer|lightest|lighter|cheapest|cheaper|dearest|dearer|most expensive|pricier)"
_QUALITY_ONE = re.compile(
    rf"\b{_QUALITIES}\s+(?:one|ones|of (?:them|those|the lot))\b|\bwhich(?: one)?(?:'?s| is| are)?\s+(?:the\s+)?{_QUALITIES}\b",
    re.I,
)
