"""What a product is and costs: "tell me about the stove", "how much are the trailblazers", "which is cheaper?"."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.languages import _
from bot.conversation import offers
from bot.conversation.focus import CHECK, heard_focus, options_of, read_query
from bot.conversation.heard import payload
from bot.conversation.state import Button, Question
from bot.conversation.stock import ask_product, proceed
from bot.conversation.turn import Turn
from bot.kernel.money import format_price_range
from bot.catalog.stock_replies import format_product_options
from bot.ordering.checkout import quantity_in

# "what colours does it come in?", "how heavy is it?", "does it charge by usb?": about the product itself.
ASKS_ABOUT_IT = re.compile(
    r"\b(?:what|which)\s+(?:other\s+)?(?:colou?rs?|sizes?)\b|\bcomes? in\b|\btell me (?:about|more)\b|\bany good\b|"
    r"\bwhat(?:'s| is) (?:it|that|the \w+) like\b|\bhow (?:heavy|big|warm|light|wide|bright)\b|\bmade of\b|\bweigh\b|"
    r"^\s*(?:does|is|can|will|has|do|are) (?:it|they|that|this|these|those|the \w+|your \w+|ur \w+)\b(?!.*\b(?:in stock|available|at|left|cost|costs|price|cheaper|dearer|expensive|open|closed?|cancel+ed|refund\w*|ready|paid|held|reserved)\b)",
    re.I,
)


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
        _("The {name} is {word}: {price_range}, against {price_range2} for the {name2}.").format(name=first.name, word=word, price_range=format_price_range(first.price_min_minor, first.price_max_minor, first.currency), price_range2=format_price_range(second.price_min_minor, second.price_max_minor, second.currency), name2=second.name)
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


# "kinder vs mam tor", "what's the difference between the trailblazer and the scafell", "X or Y, which is better?"
COMPARING = re.compile(r"\b(?:vs\.?|versus|difference between|compare|compared|what'?s the diff(?:erence)?)\b|\bwhich (?:one |of them )?(?:is|'s) (?:better|best|warmer|lighter)\b", re.I)
_VERSUS = re.compile(r"\s+(?:vs\.?|versus|v|or|and|compared (?:to|with)|against)\s+", re.I)


async def two_named(turn: Turn) -> list[str]:
    """The two products a comparison names, or [] when it doesn't name two the catalogue knows."""
    text = re.sub(r"^.*?\bdifference between\b|\bcompare\b", " ", turn.text or "", flags=re.I)
    parts = _VERSUS.split(text, maxsplit=1)
    if len(parts) != 2:
        return []
    found = [(await read_query(turn, part)).product_id for part in parts]
    return [product for product in found if product] if len(set(found)) == 2 and all(found) else []


async def compare_two(turn: Turn) -> None:
    """Both products side by side (price, colours, sizes, what each is); then "the cheaper one" / "which is warmer"."""
    products = await two_named(turn)
    described = [await options_of(turn, product) for product in products]
    lines = [f"{format_product_options(options)} {options.description}".strip() for options in described]
    buttons = tuple(Button(options.name, payload("inform", product=options.product_id)) for options in described)
    turn.state = replace(turn.state, listed=buttons, focus=replace(turn.state.focus, product=None, colour=None, size=None))
    data = {"then": CHECK, "soft": True, "prices": [o.price_min_minor for o in described], "colours": [[c.lower() for c in o.colours] for o in described]}
    turn.ask(Question("pick", "product", buttons, data=data), "\n".join(lines + [_("Which one would you like?")]),
             show_options=not turn.on_phone)
