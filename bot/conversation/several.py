"""Several items in one message: "a grey bobble hat, black gloves in L and grey socks M, from salford quays".

Each item the words name fully goes into the basket at once; the first one that lacks something (a colour,
a size, the store) is asked about, and the rest wait in the state's queue and are added after it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.conversation import offers
from bot.conversation.basket import offer_checkout
from bot.conversation.focus import RESERVE, has_one_size, options_of, read_query
from bot.conversation.reading import last_said
from bot.conversation.state import Focus
from bot.conversation.stock import proceed
from bot.conversation.market import cart_text
from bot.conversation.turn import Turn
from bot.funnel.facts import BASKET_ADDS
from bot.languages import _
from bot.languages.wording import human_list
from bot.catalog.stock_replies import format_stock_answer
from bot.ordering.checkout import add_item

_SEPARATOR = re.compile(r"\s*(?:,|;|&|\+|\band\b|\bplus\b)\s*", re.I)
_THEM = re.compile(r"\b(?:them|it|those|these|that)\b", re.I)
_ASKS_FOR_THEM = re.compile(r"\b(?:can|could) (?:i|we) (?:get|have|grab)\b|\bi'?(?:ll| will) have\b|\bi (?:need|want)\b", re.I)


def asks_for_them(text: str) -> bool:
    """"can i get …", "i'll have …": asking for the things named, not asking about them."""
    return bool(_ASKS_FOR_THEM.search(text))


async def items_in(turn: Turn) -> list[str]:
    """The parts of the message that each name a product, when there are two or more ("" stands for "them").

    "2 kinder fleeces navy M.. no wait, one navy M and one grey L": what was settled on, each part the fleece.
    """
    text = turn.text or ""
    settled = last_said(text)
    named = (await read_query(turn, text[: text.rfind(settled)])).product_id if settled != text else None
    parts = [part for part in _SEPARATOR.split(settled) if part.strip()]
    if len(parts) < 2:
        return []
    items: list[str] = []
    for part in parts:
        query = await read_query(turn, part)
        if named and not query.product_id and (query.colour or query.size or await _names_an_option(turn, named, part)):
            part = f"{(await options_of(turn, named)).name} {part}"
            query = await read_query(turn, part)
        if query.product_id:
            items.append(part)
        elif not items and _THEM.search(part) and turn.state.focus.product:
            items.append("")  # "add them, plus ridge trousers black 32": the product under discussion first
        elif items:
            items[-1] = f"{items[-1]} {part}"  # "… grey socks medium, picking up from salford quays"
    return items if len(items) >= 2 else []


async def add_several(turn: Turn, items: list[str] | None = None) -> None:
    """Adds each item the message names; asks about the first one missing something and queues the rest."""
    items = items if items is not None else await items_in(turn)
    store = (await read_query(turn)).store_id or turn.state.focus.store
    added: list[str] = []
    cart = None
    for position, item in enumerate(items):
        query = await read_query(turn, item) if item else None
        product = query.product_id if query else turn.state.focus.product
        if product is None:
            continue
        here = Focus(product=product, colour=query.colour if query else turn.state.focus.colour,
                     size=query.size if query else turn.state.focus.size,
                     store=(query.store_id if query else None) or store, quantity=query.quantity if query else None)
        options = await options_of(turn, product)
        missing = (len(options.colours) > 1 and not here.colour) or (not has_one_size(options) and not here.size) or not here.store
        if missing:
            if added:
                turn.say(_("Added {items}.").format(items=human_list(added)))
            turn.state = replace(turn.state, focus=here, queue=tuple(items[position + 1:]))
            await proceed(turn, RESERVE)  # which colour / size / store for this one; the rest follow
            return
        key = turn.effect_key("add")
        result = await turn.shop.call(
            add_item, turn.conversation_id, product, here.store, here.colour, here.size, here.quantity or 1, key
        )
        if result.cart is None:  # not there: say so, offer the other stores, and carry on with the rest after
            if added:
                turn.say(_("Added {items}.").format(items=human_list(added)))
            turn.state = replace(turn.state, focus=here, queue=tuple(items[position + 1:]))
            turn.done(goal="check")
            offers.after_stock_answer(turn, result.stock, format_stock_answer(result.stock))
            return
        added.append(f"the {options.name}")
        turn.count(BASKET_ADDS, key)
        cart = result.cart
        turn.state = replace(turn.state, focus=here)
        turn.done(goal=RESERVE, sku=result.stock.sku, quantity=here.quantity or 1)
    turn.state = replace(turn.state, queue=())
    if cart is not None:
        offer_checkout(turn, _("Added. {basket}").format(basket=await cart_text(turn, cart)))


async def carry_on(turn: Turn) -> None:
    """After an item of a several-item request went in, the ones still waiting."""
    queue = list(turn.state.queue)
    pending = turn.state.question
    if not queue or turn.state.last.get("goal") != RESERVE or (pending is not None and not pending.data.get("soft")):
        return
    turn.state = replace(turn.state, queue=())
    await add_several(turn, queue)


async def _names_an_option(turn: Turn, product_id: str, words: str) -> bool:
    from bot.catalog.matching import resolve_options

    colour, size = await turn.shop.call(resolve_options, product_id, words)
    return bool(colour or size)
