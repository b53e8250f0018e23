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
    is_correction,
    last_said,
    refers_back,
    wants_it,
    without_leading_no,
    without_negated,
    yes_or_no,
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
_ANY_ANSWER = re.compile(
    r"^\s*(?:any|any\s+(?:colou?r|size|one|of them|is fine|will do)|either|either one|whatever|whichever|don'?t mind|"
    r"i don'?t mind|doesn'?t matter|not fussed|no preference|all|any of them|surprise me)\s*[.!]*\s*$",
    re.I,
)
# Inside a longer reply to "which colour?": "dont mind, any colour is fine".
_ANY_WITHIN = re.compile(
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


def _entities_focus(turn: Turn, focus: Focus) -> Focus:
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
        return _entities_focus(turn, focus), StockQuery()
    text = without_negated(without_leading_no(last_said(turn.text)))
    query = await read_query(turn, text)
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
            or _ANY_ANSWER.match(text)):
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
    words = [w for w in asked.group("what").lower().split() if w not in _NOT_A_THING]
    return bool(words) and not refers_back(asked.group("what"))


_BROWSING = re.compile(
    r"\bwhat\s+(?:\w+\s+){1,3}(?:do|have)\s+(?:you|u)\b|\bshow me\b|\bdo (?:you|u) (?:do|sell)\b|\bwhat (?:kinds?|sorts?|types?) of\b|"
    r"\bbest\b|\brecommend\b|\bgood for\b|\bsuitable for\b",
    re.I,
)
_SOME = re.compile(r"\b(?:a few|some|several|a bunch|multiple|a load|loads)\b", re.I)


async def ask(turn: Turn, goal: str) -> None:
    """A new stock question ("have you got the trailblazers in 9 at arndale") or reservation ("reserve 2")."""
    focus, query = await heard_focus(turn, keep_product=goal == RESERVE)
    if not turn.heard.tapped and not query.product_id and focus.product and _names_something_else(turn.text):
        focus = Focus(store=focus.store)  # "do you sell bikes?" is not about the chair we were discussing
    if goal == RESERVE and query.quantity is None and _SOME.search(turn.text or "") and focus.product:
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
        colour = _specific(turn.state.focus.colour) if slot == "size" else None
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
        found = await turn.shop.call(where_in_stock, focus.product, _specific(focus.colour), _specific(focus.size))
        which = option_words(_specific(focus.colour), _specific(focus.size))
        item = f"the {options.name}" + (f" in {which}" if which else "")
        if not found:
            turn.done(goal=CHECK)
            turn.say(f"Sorry, no store has {item} right now.")
            return
        listed = human_list([f"{store.name} ({count})" for store, count in found])
        buttons = tuple(Button(store.name, payload("inform", store=store.store_id)) for store, _count in found)
        lead = f"{item[:1].upper()}{item[1:]} is in stock at {listed}. Which store would you like?"
    turn.ask(Question(goal, "store", buttons, data={"subject": f"the {options.name}"}), lead)


_AT_PLACE = re.compile(r"\b(?:at|in|near)\s+(?:the\s+)?([a-z]+(?:\s+[a-z]+)?)\s*[?.!]*\s*$", re.I)
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


def _specific(value: str | None) -> str | None:
    return None if value in (None, ANY) else value


async def answer_stock(turn: Turn) -> None:
    focus = turn.state.focus
    assert focus.product and focus.store
    quantity = min(max(focus.quantity or 1, 1), MAX_QUANTITY)
    answer = await turn.shop.call(check_stock, focus.product, focus.store, _specific(focus.colour), _specific(focus.size), quantity)
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
        add_item, turn.conversation_id, focus.product, focus.store, _specific(focus.colour), _specific(focus.size), quantity
    )
    if result.cart is None:
        turn.done(goal=CHECK)
        if result.stock.sku is None:  # "any" colour or size cannot be reserved: one variant is needed
            missing = [slot for slot in ("colour", "size") if _specific(getattr(focus, slot)) is None]
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
    colour, size = _specific(focus.colour), _specific(focus.size)
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
_A_QUESTION = re.compile(r"^\s*(?:how|what|whats|what's|when|why|where|which|who|is|are|does|do|will|would|can you|could you)\b", re.I)
_STOCK_CHECK = re.compile(r"\b(?:in stock|have you got|got any|do you have|is there|are there|available|any left)\b", re.I)
_OTHER_TOPIC_INTENTS = {
    "out_of_scope": 0.55, "faq": 0.6, "ask_hours": 0.6, "ask_address": 0.6, "ask_nearest_store": 0.6, "view_cart": 0.6,
    "order_status": 0.6, "request_human": 0.6, "greet": 0.8, "goodbye": 0.8, "thank": 0.8, "insult": 0.6,
}
_SLOT_WORDS = re.compile(r"\b(?:colou?r|size|sz|uk|small|medium|large|xs|s|m|l|xl|xxl|\d{1,2}(?:\.5)?)\b", re.I)


def _names_a_slot_value(text: str) -> bool:
    return bool(_SLOT_WORDS.search(text)) or any(colour in text.lower().split() for colour in COMMON_COLOURS)


_OTHER_TOPICS = frozenset({"ask_hours", "ask_address", "ask_nearest_store", "faq", "order_status", "view_cart", "request_human"})
_CLOSEST_PLEASE = re.compile(r"\bwhichever\b|^\s*(?:the\s+)?(?:closest|nearest)(?:\s+one)?(?:\s+(?:please|pls|then))?\s*[.!]*\s*$", re.I)
_CLOSER = re.compile(r"\b(?:closer|closest|nearer|nearest|further|which is near)\b", re.I)
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


async def answer(turn: Turn, question: Question) -> bool:
    """A reply to "which product / colour / size / store?": fills whatever it names and carries on.

    Returns False when the reply names nothing for this step (the engine then decides whether it is a
    new request or asks again).
    """
    goal = _goal_after(question)
    heard = turn.heard
    if heard.intent == "reserve_item" and (heard.tapped or heard.confidence >= 0.8) or (not heard.tapped and wants_it(turn.text)):
        goal = RESERVE  # "reserve 2" while asked for the colour: the answer will be reserved, not just checked
    elif not heard.tapped and _STOCK_CHECK.search(turn.text):
        goal = CHECK  # "is it in stock at stockport?" after "want that one?": a question, not a reservation
    if heard.tapped:
        if heard.intent not in ("inform", "check_stock", "reserve_item") or not heard.entities:
            return False
        turn.state = replace(turn.state, focus=_entities_focus(turn, turn.state.focus))
        product = turn.state.focus.product
        if question.goal == "pick" and product:
            options = await options_of(turn, product)
            turn.say(format_product_options(options))  # what was picked, with its price, before its questions
            colour = next((c for c in options.colours if c.lower() in (turn.text or "").lower().split()), None)
            if colour and not turn.state.focus.colour:
                turn.state = turn.state.with_focus(colour=colour)  # "the red one": red
        await proceed(turn, RESERVE if heard.intent == "reserve_item" else goal)
        return True
    text = turn.text
    if question.goal == "pick":
        picked = _picked_by_price(text, question)
        if picked is not None:
            turn.heard = replace(turn.heard.as_payload(picked.payload), text=text)  # keep the words: "the red one"
            return await answer(turn, question)
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
    if question.about in ("colour", "size") and (_ANY_ANSWER.match(text) or _ANY_WITHIN.search(text)):
        turn.state = turn.state.with_focus(**{question.about: ANY})
        await proceed(turn, goal)
        return True
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
        turn.ask(question, f"Which one? {human_list([option.title for option in question.options], 'or')}", remember=listed,
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
        unknown = _unknown_colour(text, options) if question.about == "colour" else _unknown_size(query, text, options)
        if unknown:
            await ask_option(turn, goal, question.about, options, unknown=unknown)
            return True
    if question.about == "product" and query.product_name:
        if not await offers.browse(turn, goal):
            await ask_product(turn, goal, query)
        return True
    return False


async def answer_offer(turn: Turn, question: Question) -> bool:
    """"Reserve it?" after a stock answer, or "reserve at Didsbury?" when this store had none."""
    from bot.conversation.checkout import store_named

    heard = turn.heard
    said = None if heard.tapped else yes_or_no(turn.text)
    if said is False:
        turn.done()
        turn.say("OK. Anything else I can help with?")
        return True
    if question.goal == "reserve_there" and _CLOSEST_PLEASE.search(turn.text):
        said, wants = True, True  # "whichever is closest": the nearest offered store
    elif question.goal == "reserve_there" and _CLOSER.search(turn.text):
        closest = (question.data.get("stores") or [None])[0]
        option = next((o for o in question.options if closest and f'"{closest}"' in o.payload), question.options[0])
        nearest = option.title.removeprefix("Reserve at ")
        turn.ask(question, f"{nearest} is the closest of those. Reserve at {nearest}?", remember=str(question.data.get("text", "")))
        return True
    if not heard.tapped and said is None and not wants_it(turn.text) and (
        heard.confidence >= 0.5 and heard.intent in _OTHER_TOPICS or _A_QUESTION.match(turn.text)
    ):
        return False  # "when does arndale close?", "how heavy is it?": a question, not a yes to reserving
    if not heard.tapped and (is_correction(turn.text) or re.match(r"^\s*(?:no|not)\b", turn.text, re.I)):
        return False  # "not the kids one, an adult one": a correction, not a yes
    wants = said is True or wants_it(turn.text) or heard.intent == "reserve_item" and (heard.tapped or heard.confidence >= 0.8)
    store_id = heard.entity("store") if heard.tapped else None
    quantity = None
    if question.goal == "reserve_there":
        offered = list(question.data.get("stores") or [])
        named = store_id or await store_named(turn)
        quantity = quantity_in(turn.text) if turn.text else None
        here_available = int(question.data.get("here_available") or 0)
        if named in offered or (named and wants):
            store_id = named
        elif quantity and 0 < quantity <= here_available:  # "just the 2 then": what this store has
            store_id = str(question.data["here"])
        elif wants and offered:
            store_id = offered[0]  # "yes" / "reserve there": the nearest one that has it
        else:
            return False
    elif not wants:
        return False
    if question.goal == "reserve_offer" and _SOME.search(turn.text or "") and not quantity_in(turn.text or ""):
        options = await options_of(turn, turn.state.focus.product) if turn.state.focus.product else None
        if options is not None:  # "i want to reserve a few": how many?
            turn.ask(Question(RESERVE, "quantity", data={"subject": f"the {options.name}"}),
                     f"How many of the {options.name} would you like?")
            return True
    focus = _entities_focus(turn, turn.state.focus) if heard.tapped else (await heard_focus(turn, keep_product=True))[0]
    focus = replace(focus, store=store_id or focus.store)
    if quantity:
        focus = replace(focus, quantity=quantity)
    turn.state = replace(turn.state, focus=focus)
    turn.done()
    await proceed(turn, RESERVE)
    return True


async def describe(turn: Turn) -> None:
    """"What colours does it come in?", "tell me about the stove", "how heavy is it": what the product is."""
    focus, query = await heard_focus(turn, keep_product=True)
    turn.state = replace(turn.state, focus=focus)
    if not focus.product:
        await ask_product(turn, "price", query)
        return
    options = await options_of(turn, focus.product)
    turn.done()  # what the product is: the thread of the conversation (a stock check, a price) goes on
    buttons = (Button("Check stock", payload("check_stock")), Button("Reserve it", payload("reserve_item")))
    turn.state = turn.state.asking(Question("reserve_offer", "confirm", buttons, data={"soft": True}))
    about = f" {options.description}" if options.description else ""
    turn.say(f"{format_product_options(options)}{about}", buttons)


async def compare(turn: Turn) -> None:
    """"Which is cheaper?" between the last two products talked about."""
    recent = list(turn.state.recent[-2:])
    if len(recent) < 2:
        await price(turn)
        return
    described = [await options_of(turn, product) for product in recent]
    cheaper = not re.search(r"\b(?:dearer|more expensive|pricier)\b", turn.text, re.I)
    ranked = sorted(described, key=lambda o: o.price_min_minor, reverse=not cheaper)
    first, second = ranked
    word = "cheaper" if cheaper else "dearer"
    turn.done(goal="price")
    turn.say(
        f"The {first.name} is {word}: {format_price_range(first.price_min_minor, first.price_max_minor, first.currency)}, "
        f"against {format_price_range(second.price_min_minor, second.price_max_minor, second.currency)} for the {second.name}."
    )


_FOR_COUNT = re.compile(r"\bfor (\d{1,2}|two|three|four|five|six)\b", re.I)


async def price(turn: Turn) -> None:
    """"How much are the trailblazer boots?" / "how much is it?": the price and options of the product."""
    focus, query = await heard_focus(turn, keep_product=True)
    counted = _FOR_COUNT.search(turn.text or "")
    if counted:  # "and for 2?"
        focus = replace(focus, quantity=quantity_in(counted.group(0)))
    turn.state = replace(turn.state, focus=focus)
    if not focus.product:
        if await offers.browse(turn, CHECK):
            return
        await ask_product(turn, "price", query)
        return
    await proceed(turn, "price")


async def _collect_elsewhere(turn: Turn) -> None:
    focus = turn.state.focus
    assert focus.product and focus.store
    answer = await turn.shop.call(check_stock, focus.product, focus.store, _specific(focus.colour), _specific(focus.size))
    if not answer.in_stock:
        turn.done(goal=CHECK)
        offers.after_stock_answer(turn, answer, format_stock_answer(answer))
        return
    cart = await turn.shop.call(view_cart, turn.conversation_id)
    from bot.conversation.basket import offer_checkout

    turn.done(goal=RESERVE, sku=answer.sku, quantity=turn.state.last.get("quantity"))
    offer_checkout(turn, f"OK, collecting from {answer.store.name} instead - they have it. {format_cart(cart)}")


async def correct(turn: Turn) -> None:
    """"No, I meant blue", "actually size 10", "make it stockport": change the focus and redo the last step.

    After an item went into the basket, the correction swaps that basket line instead of adding another.
    """
    from bot.services.cart import remove_from_cart

    last = dict(turn.state.last)
    before = turn.state.focus
    focus, _ = await heard_focus(turn, keep_product=True)
    if focus.product and before.product and focus.product != before.product:
        # "no, the half zip one": the size (or colour) already chosen still applies where the new product has it.
        options = await options_of(turn, focus.product)
        if focus.colour is None and before.colour in options.colours:
            focus = replace(focus, colour=before.colour)
        if focus.size is None and before.size in options.sizes:
            focus = replace(focus, size=before.size)
    turn.state = replace(turn.state, focus=focus)
    if last.get("goal") == RESERVE and last.get("sku") and before.product == focus.product and \
            (before.colour, before.size) == (focus.colour, focus.size) and focus.store != before.store:
        await _collect_elsewhere(turn)  # "oh wait, salford quays not arndale": the same item, collected there
        return
    if last.get("goal") == RESERVE and last.get("sku"):
        await turn.shop.call(remove_from_cart, turn.conversation_id, str(last["sku"]))
        turn.state = turn.state.with_focus(quantity=focus.quantity or int(last.get("quantity") or 1))
        await proceed(turn, RESERVE)
        return
    if not focus.product:
        await ask(turn, CHECK)
        return
    await proceed(turn, CHECK)
