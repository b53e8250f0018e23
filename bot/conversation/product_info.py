"""What a product is and costs: "tell me about the stove", "how much are the trailblazers", "which is cheaper?"."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.conversation import offers
from bot.conversation.heard import payload
from bot.conversation.state import Button, Question
from bot.conversation.stock import CHECK, ask_product, heard_focus, options_of, proceed
from bot.conversation.turn import Turn
from bot.domain.money import format_price_range
from bot.replies.stock import format_product_options
from bot.services.checkout import quantity_in

# "what colours does it come in?", "how heavy is it?", "does it charge by usb?": about the product itself.
ASKS_ABOUT_IT = re.compile(
    r"\b(?:what|which)\s+(?:other\s+)?(?:colou?rs?|sizes?)\b|\bcomes? in\b|\btell me (?:about|more)\b|\bany good\b|"
    r"\bwhat(?:'s| is) (?:it|that|the \w+) like\b|\bhow (?:heavy|big|warm|light|wide|bright)\b|\bmade of\b|\bweigh\b|"
    r"^\s*(?:does|is|can|will|has|do|are) (?:it|they|that|this|the \w+)\b(?!.*\b(?:in stock|available|at|left|cost|costs|price|cheaper|dearer|expensive|open|closed?|cancel+ed|refund\w*|ready|paid|held|reserved)\b)",
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
