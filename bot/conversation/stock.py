"""Stock questions and reservations: fill product, colour, size and store from whatever the shopper says,
ask only for what is missing, then answer from the database or put the item in the basket.

Works like a form whose slots live in the focus: "is the kinder fleece in stock?" -> which colour? ->
"navy, M at didsbury" fills all three at once. An answer to a different slot than the one asked (a size
when asked for the colour) fills that slot; a colour the product doesn't have gets the ones it has.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.conversation import offers
from bot.conversation.heard import payload
from bot.conversation.reading import (
    last_said,
    refers_back,
    without_leading_no,
    without_negated,
)
from bot.conversation.state import Button, Focus, Question
from bot.conversation.turn import Turn
from bot.replies import distance_text, human_list
from bot.replies.checkout import format_cart
from bot.domain.money import format_money, format_price_range
from bot.replies.stock import format_product_options, format_stock_answer, option_words, size_label
from bot.services.catalog import (
    ONE_SIZE,
    ProductOptions,
    StockQuery,
    StoreRef,
    match_products,
    parse_stock_query,
    price_range,
    product_options,
    resolve_options,
)
from bot.services.cart import view_cart
from bot.services.checkout import add_item, quantity_in
from bot.services.inventory import check_stock, where_in_stock
from bot.services.search import search_products
from bot.services.stores import list_stores, nearest_stores

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
    key = f"options:{product_id}"
    if key not in turn.facts:
        turn.facts[key] = await turn.shop.call(product_options, product_id)
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


_ASKS_FOR = re.compile(
    r"\b(?:do (?:you|u) (?:do|sell|stock|carry|have)|have (?:you|u) got|got any|looking for|need (?:a|an|some)|"
    r"what about (?:a|an|some)|any)\s+(?P<what>[a-z][a-z ]{2,30})",
    re.I,
)
_NOT_A_THING = frozenset("it them those these that this one ones the same more other stock left in at size colour".split())


def _names_something_else(text: str) -> bool:
    """"do you sell bikes", "got any crocs": the words ask for a thing by name (which the catalogue didn't know)."""
    asked = _ASKS_FOR.search(text or "")
    if asked is None:
        return False
    what = asked.group("what").lower()
    if re.match(r"(?:in|at|on|left|for|from|near)\b", what):
        return False  # "any in a 12 at the trafford centre": about the product in focus
    words = [w for w in what.split() if w not in _NOT_A_THING]
    return bool(words) and not refers_back(what)


_BROWSING = re.compile(
    r"\bwhat\s+(?:\w+\s+){1,3}(?:do|have)\s+(?:you|u)\b|\bshow me\b|\bdo (?:you|u) (?:do|sell)\b|\bwhat (?:kinds?|sorts?|types?) of\b|"
    r"\bbest\b|\brecommend\b|\bgood for\b|\bsuitable for\b",
    re.I,
)
_VAGUE = re.compile(r"\b(?:anything|something|any ideas?|ideas|gifts?|presents?|suggest\w*|recommend\w*|what would (?:you|u))\b", re.I)
SOME = re.compile(r"\b(?:a few|some|several|a bunch|multiple|a load|loads)\b", re.I)


async def ask(turn: Turn, goal: str) -> None:
    """A new stock question ("have you got the trailblazers in 9 at arndale") or reservation ("reserve 2")."""
    before = turn.state.focus.product
    focus, query = await heard_focus(turn, keep_product=goal == RESERVE)
    if not turn.heard.tapped and not query.product_id and focus.product and _names_something_else(turn.text):
        focus = Focus(store=focus.store)  # "do you sell bikes?" is not about the chair we were discussing
    if goal == RESERVE and query.quantity is None and SOME.search(turn.text or "") and focus.product:
        # "i want to reserve a few": how many, then carry on.
        turn.state = replace(turn.state, focus=focus)
        options = await options_of(turn, focus.product)
        turn.ask(Question(RESERVE, "quantity", data={"subject": f"the {options.name}"}), f"How many of the {options.name} would you like?")
        return
    if goal == RESERVE and query.quantity is None and not turn.heard.entities.get("quantity"):
        focus = replace(focus, quantity=focus.quantity if focus.product == turn.state.focus.product else None)
    turn.state = replace(turn.state, focus=focus)
    if not focus.product or (goal == CHECK and _BROWSING.search(turn.text or "") and not (focus.store or focus.colour or focus.size)):
        # "what sleeping bags do you have": the products with their prices, even when only one fits.
        if await offers.browse(turn, goal):
            return
    if not turn.state.focus.product:
        await ask_product(turn, goal, query)
        return
    if query.product_id and query.product_id != before and not turn.heard.tapped and _VAGUE.search(turn.text or ""):
        # "anything for kayaking?" found the one product: what it is and costs before asking which colour.
        turn.say(format_product_options(await options_of(turn, query.product_id)))
    await proceed(turn, goal)


async def proceed(turn: Turn, goal: str) -> None:
    """Asks for the first missing slot, or answers / reserves when nothing is missing."""
    focus = turn.state.focus
    if not focus.product:
        await ask_product(turn, goal, StockQuery())
        return
    options = await options_of(turn, focus.product)
    for slot, choices in (("colour", options.colours), ("size", options.sizes)):
        value = getattr(focus, slot)
        if value and value != ANY and value not in choices:
            matched = next((choice for choice in choices if choice.lower() == value.lower()), None)
            if matched is None:
                turn.state = turn.state.with_focus(**{slot: None})
                await ask_option(turn, goal, slot, options, unknown=value)
                return
            turn.state = turn.state.with_focus(**{slot: matched})
    if goal == "price":
        await describe_product(turn)
        return
    for slot, choices in (("colour", options.colours), ("size", options.sizes)):
        if getattr(turn.state.focus, slot) is None and len(choices) > 1:
            await ask_option(turn, goal, slot, options)
            return
    if not turn.state.focus.store and turn.text and not turn.heard.tapped:
        # "which store near chorlton has the stove": the store nearest that place.
        near = await turn.shop.call(nearest_stores, turn.text, 1)
        if near is not None and near.stores:
            turn.state = turn.state.with_focus(store=near.stores[0].store.store_id)
            turn.facts["near"] = {"place": near.place_name, "store": near.stores[0].store.name,
                                  "km": f"{near.stores[0].distance_km:.1f}"}
            turn.say(f"Your nearest store to {near.place_name} is {near.stores[0].store.name} "
                     f"({distance_text(near.stores[0].distance_km)} away).")
    if not turn.state.focus.store:
        await ask_store(turn, goal, options)
        return
    if goal == RESERVE:
        await reserve(turn, options)
    else:
        await answer_stock(turn)


_DO_YOU_SELL = re.compile(r"\b(?:do (?:you|u) (?:do|sell|stock|carry|have)|have (?:you|u) got|got any|sell)\s+(?:any\s+)?(?P<what>[a-z][a-z -]{1,30}?)\s*\??$", re.I)


async def ask_product(turn: Turn, goal: str, query: StockQuery) -> None:
    words = query.product_name
    suggestions = await turn.shop.call(match_products, turn.text, 3) if words and turn.text else []
    options = tuple(Button(match.name, payload("inform", product=match.product_id)) for match in suggestions)
    asked = _DO_YOU_SELL.search(turn.text) if turn.text else None
    if not suggestions and asked:
        # "do you sell bikes": we don't, and here is what we do (not a question the shopper has to escape from).
        from bot.conversation import support

        turn.done()
        turn.say(f"Sorry, we don't sell {asked.group('what').strip()}. " + support.fill(support.WHAT_WE_SELL, turn.shop.settings),
                 support.HELP_BUTTONS)
        return
    if suggestions:
        lead = f'I couldn\'t find "{words}" exactly. Did you mean one of these?'
    elif words:
        lead = f'Sorry, I couldn\'t find "{words}" in our range. Which product are you after? A name is enough, e.g. "Trailblazer boots".'
    else:
        lead = 'Which product are you after? A name is enough, e.g. "Trailblazer boots", or tell me what it\'s for.'
    turn.ask(Question(goal, "product", options), lead)


def option_buttons(slot: str, choices: list[str]) -> tuple[Button, ...]:
    buttons = [Button(size_label(c) if slot == "size" else c, payload("inform", **{slot: c})) for c in choices[:9]]
    return tuple(buttons) + (Button("Any", payload("inform", **{slot: ANY})),)


async def ask_option(turn: Turn, goal: str, slot: str, options: ProductOptions, unknown: str | None = None) -> None:
    """"Which colour of the Kinder Fleece Jacket?" with the real options (inline on SMS for sizes)."""
    choices = options.colours if slot == "colour" else options.sizes
    buttons = option_buttons(slot, choices)
    listed = human_list([c.lower() if slot == "colour" else size_label(c) for c in choices], "or")
    if unknown is not None:
        said = unknown.lower() if slot == "colour" else size_label(unknown)
        lead = f"Sorry, the {options.name} doesn't come in {said}. It comes in {listed}. Which would you like?"
    else:
        store = await _store_name(turn) if goal == CHECK else None
        where = f" should I check at {store}" if store else ""
        noun = "Which colour" if slot == "colour" else "What size"
        colour = specific(turn.state.focus.colour) if slot == "size" else None
        item = f"{options.name} in {colour.lower()}" if colour and len(options.colours) > 1 else options.name
        lead = f"{noun} of the {item}{where}? {listed[:1].upper()}{listed[1:]}."
    # Sizes are answered by their own words on SMS ("9"), so they are not numbered there.
    question = Question(goal, slot, buttons, data={"subject": f"the {options.name}"})
    turn.ask(question, lead, show_options=not (slot == "size" and turn.on_phone))


_WHERE = re.compile(r"\b(?:where (?:can|could|do) i (?:get|buy|find)|which (?:stores?|shops?|branch(?:es)?) (?:have|has|stock|sell|got)|where(?:'s| is) it in stock|any stores?)\b", re.I)


async def _store_name(turn: Turn) -> str | None:
    store_id = turn.state.focus.store
    if not store_id:
        return None
    stores = await turn.shop.call(list_stores)
    return next((store.name for store in stores if store.store_id == store_id), None)


async def ask_store(turn: Turn, goal: str, options: ProductOptions) -> None:
    stores = await turn.shop.call(list_stores)
    buttons = tuple(Button(store.name, payload("inform", store=store.store_id)) for store in stores)
    lead = "Which store should I check?" if goal == CHECK else f"Which store would you like to collect the {options.name} from?"
    unknown = _unknown_store_named(turn)
    if unknown:
        lead = f"We don't have a store in {unknown.title()} - all our stores are in Greater Manchester. {lead}"
    elif turn.text and _WHERE.search(turn.text):
        # "where can i get the coniston jacket in olive L": the stores that have it, to pick one.
        focus = turn.state.focus
        found = await turn.shop.call(where_in_stock, focus.product, specific(focus.colour), specific(focus.size))
        which = option_words(specific(focus.colour), specific(focus.size))
        item = f"the {options.name}" + (f" in {which}" if which else "")
        if not found:
            turn.done(goal=CHECK)
            turn.say(f"Sorry, no store has {item} right now.")
            return
        listed = human_list([f"{store.name} ({count})" for store, count in found])
        buttons = tuple(Button(store.name, payload("inform", store=store.store_id)) for store, _count in found)
        lead = f"{item[:1].upper()}{item[1:]} is in stock at {listed}. Which store would you like?"
    turn.ask(Question(goal, "store", buttons, data={"subject": f"the {options.name}"}), lead)


_AT_PLACE = re.compile(r"\b(?:at|in|near)\s+(?:the\s+)?(?!(?:my|your|his|her|our|their|a|an|it|them)\b)([a-z]+(?:\s+[a-z]+)?)\s*[?.!]*\s*$", re.I)
_NOT_PLACES = frozenset(COMMON_COLOURS) | {
    "stock", "store", "shop", "size", "it", "them", "total", "all", "town", "one", "pairs",
    "xs", "s", "m", "l", "xl", "xxl", "small", "medium", "large",
}


def _unknown_store_named(turn: Turn) -> str | None:
    """A place the shopper gave as the store that is not one of ours ("trailblazer brown 9 at leeds").

    Only asked when no store of ours was recognised in the message, so any place left at its end is not ours.
    """
    found = _AT_PLACE.search(turn.text or "") if not turn.heard.tapped else None
    if found is None or set(found.group(1).lower().split()) & _NOT_PLACES:
        return None
    return found.group(1)


def specific(value: str | None) -> str | None:
    return None if value in (None, ANY) else value


async def answer_stock(turn: Turn) -> None:
    focus = turn.state.focus
    assert focus.product and focus.store
    quantity = min(max(focus.quantity or 1, 1), MAX_QUANTITY)
    answer = await turn.shop.call(check_stock, focus.product, focus.store, specific(focus.colour), specific(focus.size), quantity)
    near = turn.facts.get("near")
    turn.done(goal=CHECK, **({"near": near} if near else {}))
    offers.after_stock_answer(turn, answer, format_stock_answer(answer))


async def reserve(turn: Turn, options: ProductOptions) -> None:
    focus = turn.state.focus
    assert focus.product and focus.store
    quantity = focus.quantity or 1
    if not 1 <= quantity <= MAX_QUANTITY:
        turn.done()
        turn.say(f"I can reserve 1 to {MAX_QUANTITY} of an item at a time. How many would you like?")
        return
    result = await turn.shop.call(
        add_item, turn.conversation_id, focus.product, focus.store, specific(focus.colour), specific(focus.size), quantity
    )
    if result.cart is None:
        turn.done(goal=CHECK)
        if result.stock.sku is None:  # "any" colour or size cannot be reserved: one variant is needed
            missing = [slot for slot in ("colour", "size") if specific(getattr(focus, slot)) is None]
            turn.state = turn.state.with_focus(**{slot: None for slot in missing})
            await proceed(turn, RESERVE)
            return
        offers.after_stock_answer(turn, result.stock, format_stock_answer(result.stock))
        return
    turn.done(goal=RESERVE, sku=result.stock.sku, quantity=quantity)
    turn.state = turn.state.with_focus(quantity=None)
    buttons = (Button("Reserve now", payload("place_order")), Button("View basket", payload("view_cart")))
    turn.state = turn.state.asking(Question("checkout", "confirm", buttons, data={"soft": True}))
    turn.say(f"Added. {format_cart(result.cart)}", buttons)


async def describe_product(turn: Turn) -> None:
    """The price and options of the product in focus ("how much are the trailblazers?", "and in XXL?")."""
    focus = turn.state.focus
    assert focus.product
    options = await options_of(turn, focus.product)
    colour, size = specific(focus.colour), specific(focus.size)
    buttons = (Button("Check stock", payload("check_stock")), Button("Reserve it", payload("reserve_item")))
    turn.done(goal="price")
    turn.state = turn.state.asking(Question("reserve_offer", "confirm", buttons, data={"soft": True}))
    quantity = focus.quantity or 1
    if not (colour or size):
        text = format_product_options(options)
        if quantity > 1 and options.price_min_minor == options.price_max_minor:
            text += f" {quantity} would be {format_money(options.price_min_minor * quantity, options.currency)}."
        turn.say(text, buttons)
        return
    low, high, currency = await turn.shop.call(price_range, focus.product, colour, size)
    which = option_words(colour, size)
    text = f"The {options.name} in {which} is {format_price_range(low, high, currency)}."
    if quantity > 1 and low == high:
        text += f" {quantity} would be {format_money(low * quantity, currency)}."
    turn.say(text, buttons)


def has_one_size(options: ProductOptions) -> bool:
    return options.sizes == [ONE_SIZE] or not options.sizes


STOCK_GOALS = frozenset({CHECK, RESERVE, "pick"})


async def where(turn: Turn) -> None:
    """"Does anywhere have all 4?": the stores with enough, nearest first, one tap or a word to reserve there."""
    focus, query = await heard_focus(turn, keep_product=True)
    wanted = query.quantity or quantity_in(turn.text or "") or focus.quantity or 1
    turn.state = replace(turn.state, focus=replace(focus, quantity=wanted))
    if not focus.product:
        await ask_product(turn, CHECK, query)
        return
    options = await options_of(turn, focus.product)
    found = [(store, count) for store, count in await turn.shop.call(where_in_stock, focus.product, specific(focus.colour),
                                                                      specific(focus.size)) if count >= wanted]
    which = option_words(specific(focus.colour), specific(focus.size))
    item = f"{wanted} of the {options.name}" + (f" in {which}" if which else "")
    if not found:
        turn.done(goal=CHECK)
        turn.say(f"Sorry, no store has {item} right now.")
        return
    stores = [store for store, _ in found][:3]
    if focus.store:  # nearest to the store asked about first
        stores = await _nearest_first(turn, focus.store, stores)
    buttons = tuple(Button(f"Reserve at {store.name}", payload("reserve_item", store=store.store_id, quantity=wanted)) for store in stores)
    listed = human_list([f"{store.name} ({count})" for store, count in found if store in stores])
    data = {"soft": True, "stores": [store.store_id for store in stores], "here": focus.store or "", "here_available": 0,
            "again": f"Shall I reserve {wanted} at {stores[0].name}?"}
    turn.done(goal=CHECK)
    turn.ask(Question("reserve_there", "store", buttons, data=data),
             f"{listed} {'has' if len(stores) == 1 else 'have'} {item}. Reserve at {stores[0].name}?")


async def _nearest_first(turn: Turn, store_id: str, stores: list[StoreRef]) -> list[StoreRef]:
    """`stores` nearest first to the store `store_id` (a store's name is a place too)."""
    found = await turn.shop.call(nearest_stores, store_id.replace("-", " "), 10)
    order = [entry.store.store_id for entry in found.stores] if found else []
    return sorted(stores, key=lambda store: order.index(store.store_id) if store.store_id in order else 99)
