"""What a message says about the product under discussion: the catalogue's reading of it, the colour and size
of the product in focus that bare words name, "the kids one", "the padded one", and the focus after it."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.conversation.market import market_of
from bot.conversation.reading import (
    last_said,
    refers_back,
    without_leading_no,
    without_negated,
)
from bot.conversation.state import Focus
from bot.conversation.turn import Turn
from bot.ordering.cart import view_cart
from bot.catalog.shopper_text import ONE_SIZE
from bot.catalog.stock_query import ProductOptions, StockQuery
from bot.catalog.matching import parse_stock_query, product_options, resolve_options
from bot.catalog.search import search_products

ANY = "any"
CHECK, RESERVE = "check", "reserve"
MAX_QUANTITY = 20
ANY_ANSWER = re.compile(
    r"^\s*(?:any|any\s+(?:colou?r|size|one|of them|is fine|will do)|either|either one|whatever|whichever|don'?t mind|"
    r"i don'?t mind|doesn'?t matter|not fussed|no preference|all|any of them|surprise me)\s*[.!]*\s*$",
    re.I,
)
# Inside a longer reply to "which colour?": "dont mind, any colour is fine".
ANY_WITHIN = re.compile(
    r"\b(?:any (?:colou?r|size|one)|don'?t mind|doesn'?t matter|not fussed|no preference|either (?:one|is fine|will do)|whatever)\b",
    re.I,
)
# Colour words shoppers use that no product may come in: "pink" must get "it comes in …", not silence.
COMMON_COLOURS = (
    "pink", "purple", "white", "cream", "lilac", "violet", "peach", "mint", "lime", "rose", "magenta", "indigo",
    "bronze", "camo", "camouflage", "gold", "beige", "turquoise", "maroon", "grey", "gray", "black", "brown",
    "navy", "blue", "green", "red", "orange", "yellow", "khaki", "olive", "tan", "silver", "charcoal", "teal",
)


async def read_query(turn: Turn, text: str | None = None) -> StockQuery:
    """The catalogue's reading of the message (product, colour, size, store, quantity), once per turn."""
    text = turn.text if text is None else text
    key = f"query:{text}"
    if key not in turn.facts:
        turn.facts[key] = await turn.shop.call(parse_stock_query, text) if text else StockQuery()
    return turn.facts[key]


async def focus_options(turn: Turn, text: str) -> tuple[str | None, str | None]:
    """The colour and size of the product in focus that bare words name ("navy M", "in L", "10"), once per turn."""
    product = turn.state.focus.product
    key = f"focus_options:{product}:{text}"
    if key not in turn.facts:
        turn.facts[key] = await turn.shop.call(resolve_options, product, text) if product and text else (None, None)
    return turn.facts[key]


async def options_of(turn: Turn, product_id: str) -> ProductOptions:
    """The product's options, priced in the conversation's market."""
    market = await market_of(turn)
    key = f"options:{product_id}:{market.id if market else ''}"
    if key not in turn.facts:
        turn.facts[key] = await turn.shop.call(product_options, product_id, market.id if market else None)
    return turn.facts[key]


def entities_focus(turn: Turn, focus: Focus) -> Focus:
    """What a tapped button (or NLU entity) names: its product, colour, size, store, quantity."""
    entities = turn.heard.entities
    if entities.get("product"):
        focus = focus.about_product(entities["product"])
    changes = {name: entities[name] for name in ("colour", "size", "store") if entities.get(name)}
    if entities.get("quantity", "").isdigit():
        changes["quantity"] = int(entities["quantity"])
    return replace(focus, **changes)


async def heard_focus(turn: Turn, *, keep_product: bool) -> tuple[Focus, StockQuery]:
    """The focus after this message: a product named with confidence replaces the old one (and its
    colour and size); otherwise colour, size, store and quantity apply to the product under discussion.

    Args:
        keep_product: the words continue the current product even without "it" ("reserve please").
    """
    focus = turn.state.focus
    if turn.heard.tapped:
        return entities_focus(turn, focus), StockQuery()
    text = without_negated(without_leading_no(last_said(turn.text)))
    query = await read_query(turn, text)
    if text != turn.text and last_said(turn.text) != turn.text:
        # "the coniston in black M at stockport, sorry i mean salford quays": what the correction names replaces
        # that part only; the rest of the message still counts.
        earlier = await read_query(turn, without_negated(turn.text[: turn.text.rfind(last_said(turn.text))]))
        query = replace(earlier, **{name: value for name, value in vars(query).items() if value})
    switched = bool(query.product_id and query.product_id != focus.product)
    if switched and focus.product is None:
        # "have you got it in size 10 at arndale" - "the trailblazers": what was said before still applies.
        focus = replace(focus, product=query.product_id)
    elif switched:
        focus = Focus(product=query.product_id, store=focus.store)
    elif not query.product_id and query.product_name and focus.product and not refers_back(text):
        # Product words we could not place ("the blue hoodie thing"): not the product under discussion.
        focus = Focus(store=focus.store)
    colour, size = query.colour, query.size
    if focus.product and not switched and (colour is None or size is None):
        # Bare words read against the product in focus: "navy M", "brown 10", "in L" (not the "2" of "reserve 2").
        words = re.sub(rf"\b{query.quantity}\b", " ", text) if query.quantity else text
        said_colour, said_size = await focus_options(turn, words)
        colour, size = colour or said_colour, size or said_size
    if switched and focus.colour is None and focus.size is None and not (colour or size):
        focus = await _as_in_basket(turn, focus)  # "add 1 more chair": the chair already in the basket
    if not query.product_id and focus.product and _FOR_ADULTS.search(text):
        grown = await _kids_version(turn, focus.product, kids=False)  # "not the kids one, an adult one"
        if grown and grown != focus.product:
            focus, switched = Focus(product=grown, store=focus.store, quantity=focus.quantity), True
    elif not query.product_id and focus.product and _FOR_KIDS.search(text):
        kids = await _kids_version(turn, focus.product)  # "not that one, the kids one"
        if kids and kids != focus.product:
            kept = focus.colour if focus.colour in (await options_of(turn, kids)).colours else None
            focus, switched = Focus(product=kids, colour=kept, store=focus.store, quantity=focus.quantity), True
            size = None if size and size not in (await options_of(turn, kids)).sizes else size
    if not (switched or keep_product or refers_back(text) or colour or size or query.store_id or query.quantity
            or ANY_ANSWER.match(text)):
        return focus, query
    changes: dict[str, object] = {}
    if colour:
        changes["colour"] = colour
    if size:
        changes["size"] = size
    if query.store_id:
        changes["store"] = query.store_id
    if query.quantity:
        changes["quantity"] = query.quantity
    return replace(focus, **changes), query


_FOR_KIDS = re.compile(r"\b(?:kids?|kid'?s|child(?:ren)?'?s?|junior|for my (?:son|daughter|boy|girl))\b", re.I)


_FOR_ADULTS = re.compile(r"\b(?:adults?|grown.?ups?|men'?s|women'?s|ladies|for me|my size)\b", re.I)


def asks_other_version(text: str) -> bool:
    """"the kids one", "an adult one": the same kind of product for someone else."""
    return bool(_FOR_KIDS.search(text) or _FOR_ADULTS.search(text))


async def _kids_version(turn: Turn, product_id: str, kids: bool = True) -> str | None:
    """The children's product most like this one ("the kids one" while talking about the Helvellyn jacket), or
    with kids=False the grown-ups' one most like a children's product."""
    options = await options_of(turn, product_id)
    name = re.sub(r"\bkids'?\b", " ", options.name, flags=re.I)
    found = await turn.shop.call(search_products, f"{'kids ' if kids else ''}{options.category} {name}", None, 3)
    return next((hit.product_id for hit in found.hits if hit.product_id != product_id), None)


async def similar_product(turn: Turn, product_id: str, words: str) -> str | None:
    """Another product of the same kind (and audience) as this one that `words` describe ("the padded one")."""
    options = await options_of(turn, product_id)
    kids = "kids " if re.search(r"\bkids\b", options.name, re.I) else ""
    found = await turn.shop.call(search_products, f"{kids}{words} {options.category}", None, 3)
    return next((hit.product_id for hit in found.hits if hit.product_id != product_id), None)


async def _as_in_basket(turn: Turn, focus: Focus) -> Focus:
    """"add 1 more chair": a product named without colour or size that is in the basket once means that line."""
    if not focus.product or (focus.colour and focus.size):
        return focus
    cart = await turn.shop.call(view_cart, turn.conversation_id)
    lines = [line for line in cart.lines if line.product_id == focus.product]
    if len(lines) != 1:
        return focus
    return replace(focus, colour=focus.colour or lines[0].colour or None, size=focus.size or lines[0].size or None)


def specific(value: str | None) -> str | None:
    return None if value in (None, ANY) else value


def has_one_size(options: ProductOptions) -> bool:
    return options.sizes == [ONE_SIZE] or not options.sizes
