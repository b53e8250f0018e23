"""What the assistant offers next: a short list of products to pick from, and where else to reserve.

An offer is a question with `soft` set: a one-word answer ("yes", "2", "didsbury") takes it up, and
anything else simply moves on (the assistant does not come back to an offer the shopper ignored).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from bot.languages import _
from bot.conversation.heard import payload
from bot.conversation.market import hits_in_market, market_of
from bot.conversation.state import MAX_LISTED, Button, Question
from bot.conversation.turn import Turn
from babel.numbers import get_currency_symbol

from bot.kernel.money import format_money, format_price_range, to_minor
from bot.languages.catalogue import locale_for
from bot.languages.wording import distance_text
from bot.catalog.stock_replies import option_words
from bot.catalog.inventory import StockAnswer
from bot.catalog.search import ProductHit, SearchResult, search_products

SOFT = {"soft": True}


def after_stock_answer(turn: Turn, answer: StockAnswer, text: str) -> None:
    """The stock answer, then one tap (or "yes") to reserve here, or at the nearest store that has it."""
    if answer.in_stock:
        buttons = (Button("Reserve it", payload("reserve_item")),)
        data = {**SOFT, "again": _("Shall I reserve it at {name}?").format(name=answer.store.name)}
        turn.state = turn.state.asking(Question("reserve_offer", "confirm", buttons, data=data))
        turn.say(text, buttons, product_card(answer, buttons[0]))
        return
    here = answer.store
    buttons = tuple(
        Button(_("Reserve at {store}").format(store=entry.store.name), payload("reserve_item", store=entry.store.store_id)) for entry in answer.nearby
    )
    if answer.available_here > 0:  # fewer than asked for here: those few are an option too
        mine = Button(_("Reserve {count} at {store}").format(count=answer.available_here, store=here.name),
                      payload("reserve_item", store=here.store_id, quantity=answer.available_here))
        buttons = (mine,) + buttons
    if not buttons:
        turn.say(text)
        return
    again = _("Shall I reserve it at {name}?").format(name=answer.nearby[0].store.name) if answer.nearby else _("Shall I reserve {available_here} at {name}?").format(available_here=answer.available_here, name=here.name)
    data = {**SOFT, "stores": [e.store.store_id for e in answer.nearby], "here": here.store_id,
            "here_available": answer.available_here, "again": again}
    turn.state = turn.state.asking(Question("reserve_there", "store", buttons, data=data))
    turn.say(text, buttons, product_card(answer, buttons[0]))


def product_card(answer: StockAnswer, reserve: Button) -> dict[str, Any]:
    """The stock answer as a card for the web chat: name, price, where it is, and the first Reserve choice."""
    options = option_words(answer.colour, answer.size)
    if answer.in_stock:
        where = _("{count} in stock at {store}").format(count=answer.available_here, store=answer.store.name)
    elif answer.nearby:
        first = answer.nearby[0]
        where = (_("{count} at {store}").format(count=answer.available_here, store=answer.store.name) if answer.available_here
                 else _("Out of stock at {store}").format(store=answer.store.name)) + "; "
        where += _("{count} in stock at {store}, {distance} away").format(count=first.available, store=first.store.name, distance=distance_text(first.distance_km))
    else:
        where = _("{count} at {store}").format(count=answer.available_here, store=answer.store.name)
    product = {
        "name": f"{answer.product_name} ({options})" if options else answer.product_name,
        "price": format_price_range(answer.price_minor, answer.price_max_minor, answer.currency),
        "availability": where,
        "reserve": reserve.as_dict(),
    }
    return {"products": [product]}


def _hit_title(hit: ProductHit) -> str:
    return hit.name


def _hit_line(number: int, hit: ProductHit) -> str:
    price = format_price_range(hit.price_min_minor, hit.price_max_minor, hit.currency)
    if hit.available <= 0:
        stock = _("out of stock right now")
    elif hit.store_name:
        stock = _("{count} at {store}").format(count=hit.available, store=hit.store_name)
    else:
        stock = _("in stock at {stores_with_stock} store{value}").format(stores_with_stock=hit.stores_with_stock, value='s' if hit.stores_with_stock != 1 else '')
    return f"{number}. {hit.name} – {price}, {stock}"


def _foreign_limit_note(found: SearchResult) -> str:
    """"Our prices here are in £ (GBP), so I can't go by 100 €.": the limit was not applied, and why."""
    amount, named = found.foreign_limit or (0, "")
    locale = locale_for()  # the amount as the shopper wrote it, in their language's way
    return _("Our prices here are in {currency}, so I can't go by {amount}.").format(
        currency=f"{get_currency_symbol(found.currency, locale=locale)} ({found.currency})",
        amount=format_money(to_minor(Decimal(amount), named), named, locale, whole=True),
    )


async def browse(turn: Turn, goal: str, text: str | None = None) -> bool:
    """Vague requests ("waterproof jackets", "tent for 4 people", "something under £50"): a short list.

    Returns False when the catalogue has nothing for the words, so the caller can ask instead.
    """
    text = text if text is not None else turn.text
    if not text:
        return False
    market = await market_of(turn)
    found = await turn.shop.call(search_products, text, turn.state.focus.store, MAX_LISTED, market.id if market else None)
    if not found.hits:
        return False
    hits = tuple(await hits_in_market(turn, list(found.hits)))  # a Jakarta shopper's list is in rupiah
    buttons = tuple(Button(_hit_title(hit), payload("inform", product=hit.product_id)) for hit in hits)
    lines = "\n".join(_hit_line(number, hit) for number, hit in enumerate(hits, start=1))
    lead = _("Here's what I found{described}:").format(described=found.described) if len(hits) > 1 else _("I found one{described}:").format(described=found.described)
    if found.cheapest_instead:  # "stocking fillers under a tenner": nothing is, so the cheapest things
        lead = _("Sorry, I couldn't find anything{described}. The cheapest things we have:").format(described=found.described)
    if found.foreign_limit is not None:  # "alle 100 euroa" to a Manchester store: no exchange rate to go by
        lead = f"{_foreign_limit_note(found)} {lead}"
    tail = _("Which one would you like?") if len(hits) > 1 else _("Want that one?")
    superlative = found.best_first
    turn.state = replace(turn.state, listed=buttons)
    data = {"then": goal, "prices": [hit.price_min_minor for hit in hits], "query": text,
            "colours": [list(hit.colours) for hit in hits]}
    if len(hits) == 1 or superlative:
        # The one product found, or "the cheapest rucksack" itself, is in focus ("how big is it?"), and the
        # list is an offer: asking something else moves on.
        turn.state = turn.state.with_focus(product=hits[0].product_id, colour=None, size=None)
        data["soft"] = True
    question = Question("pick", "product", buttons, data=data)
    # The list itself numbers the products, so SMS gets no second numbered list of the same names.
    turn.ask(question, f"{lead}\n{lines}\n{tail}", show_options=not turn.on_phone)
    return True
