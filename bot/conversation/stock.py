"""Stock questions and reservations: fill product, colour, size and store from whatever the shopper says,
ask only for what is missing, then answer from the database or put the item in the basket.

Works like a form whose slots live in the focus: "is the kinder fleece in stock?" -> which colour? ->
"navy, M at didsbury" fills all three at once. An answer to a different slot than the one asked (a size
when asked for the colour) fills that slot; a colour the product doesn't have gets the ones it has.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.languages import _
from bot.conversation import offers
from bot.conversation.focus import (
    ANY,
    CHECK,
    COMMON_COLOURS,
    MAX_QUANTITY,
    RESERVE,
    heard_focus,
    options_of,
    specific,
)
from bot.conversation.heard import payload
from bot.conversation.market import cart_text, market_of, market_stock, market_stores
from bot.conversation.reading import (
    refers_back,
)
from bot.conversation.state import Button, Focus, Question
from bot.conversation.turn import Turn
from bot.funnel.facts import BASKET_ADDS
from bot.kernel.money import format_money, format_price_range
from bot.languages.wording import colour_word, distance_text, human_list
from bot.catalog.stock_replies import (
    format_product_options,
    format_stock_answer,
    option_words,
    size_label,
)
from bot.catalog.stock_query import ProductOptions, StockQuery
from bot.catalog.matching import match_products, price_range
from bot.ordering.checkout import add_item
from bot.catalog.inventory import check_stock
from bot.catalog.stores import list_stores, nearest_stores

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
        turn.ask(Question(RESERVE, "quantity", data={"subject": f"the {options.name}"}), _("How many of the {name} would you like?").format(name=options.name))
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
            turn.say(_("Your nearest store to {place_name} is {name} ({distance} away).").format(place_name=near.place_name, name=near.stores[0].store.name, distance=distance_text(near.stores[0].distance_km)))
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
        turn.say(_("Sorry, we don't sell {strip}. ").format(strip=asked.group('what').strip()) + support.fill(support.WHAT_WE_SELL, turn.shop.settings),
                 support.HELP_BUTTONS)
        return
    if suggestions:
        lead = _('I couldn\'t find "{words}" exactly. Did you mean one of these?').format(words=words)
    elif words:
        lead = _('Sorry, I couldn\'t find "{words}" in our range. Which product are you after? A name is enough, e.g. "Trailblazer boots".').format(words=words)
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
    listed = human_list([colour_word(c) if slot == "colour" else size_label(c) for c in choices], "or")
    if unknown is not None:
        said = colour_word(unknown) if slot == "colour" else size_label(unknown)
        lead = _("Sorry, the {name} doesn't come in {said}. It comes in {listed}. Which would you like?").format(name=options.name, said=said, listed=listed)
    else:
        store = await _store_name(turn) if goal == CHECK else None
        colour = specific(turn.state.focus.colour) if slot == "size" else None
        item = _("{product} in {options}").format(product=options.name, options=colour_word(colour)) \
            if colour and len(options.colours) > 1 else options.name
        if slot == "colour":
            lead = _("Which colour of the {item} should I check at {store}? {choices}.") if store else _("Which colour of the {item}? {choices}.")
        else:
            lead = _("What size of the {item} should I check at {store}? {choices}.") if store else _("What size of the {item}? {choices}.")
        lead = lead.format(item=item, store=store, choices=f"{listed[:1].upper()}{listed[1:]}")
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
    stores = await market_stores(turn)
    buttons = tuple(Button(store.name, payload("inform", store=store.store_id)) for store in stores)
    lead = _("Which store should I check?") if goal == CHECK else _("Which store would you like to collect the {name} from?").format(name=options.name)
    unknown = _unknown_store_named(turn)
    if unknown:
        lead = _("We don't have a store in {title}. {lead}").format(title=unknown.title(), lead=lead)  # the stores are the buttons
    elif turn.text and _WHERE.search(turn.text):
        # "where can i get the coniston jacket in olive L": the stores that have it, to pick one.
        focus = turn.state.focus
        found = await market_stock(turn, focus.product, specific(focus.colour), specific(focus.size))
        which = option_words(specific(focus.colour), specific(focus.size))
        item = (_("the {product} in {options}") if which else _("the {product}")).format(product=options.name, options=which)
        if not found:
            turn.done(goal=CHECK)
            turn.say(_("Sorry, no store has {item} right now.").format(item=item))
            return
        listed = human_list([f"{store.name} ({count})" for store, count in found])
        buttons = tuple(Button(store.name, payload("inform", store=store.store_id)) for store, _count in found)
        lead = _("{upper}{value} is in stock at {listed}. Which store would you like?").format(upper=item[:1].upper(), value=item[1:], listed=listed)
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
        turn.say(_("I can reserve 1 to {MAX_QUANTITY} of an item at a time. How many would you like?").format(MAX_QUANTITY=MAX_QUANTITY))
        return
    key = turn.effect_key("add")
    result = await turn.shop.call(
        add_item, turn.conversation_id, focus.product, focus.store, specific(focus.colour), specific(focus.size), quantity, key,
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
    turn.count(BASKET_ADDS, key)
    turn.state = turn.state.with_focus(quantity=None)
    buttons = (Button("Reserve now", payload("place_order")), Button("View basket", payload("view_cart")))
    turn.state = turn.state.asking(Question("checkout", "confirm", buttons, data={"soft": True}))
    turn.say(_("Added. {basket}").format(basket=await cart_text(turn, result.cart)), buttons)


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
            text += " " + _("{quantity} would be {amount}.").format(quantity=quantity, amount=format_money(options.price_min_minor * quantity, options.currency))
        turn.say(text, buttons)
        return
    market = await market_of(turn)
    low, high, currency = await turn.shop.call(price_range, focus.product, colour, size, market.id if market else None)
    which = option_words(colour, size)
    text = _("The {name} in {options} is {price}.").format(name=options.name, options=which, price=format_price_range(low, high, currency))
    if quantity > 1 and low == high:
        text += " " + _("{quantity} would be {amount}.").format(quantity=quantity, amount=format_money(low * quantity, currency))
    turn.say(text, buttons)


STOCK_GOALS = frozenset({CHECK, RESERVE, "pick"})
