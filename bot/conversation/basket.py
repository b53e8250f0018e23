"""The basket in conversation: show it, change how many, take something out."""

from __future__ import annotations

import re

from bot.languages import _
from bot.conversation.heard import payload
from bot.conversation.reading import refers_back
from bot.conversation.state import Button, Question
from bot.conversation.market import cart_text
from bot.conversation.turn import Turn
from bot.ordering.rules import InvalidQuantity
from bot.ordering.cart import (
    MAX_LINE_QUANTITY,
    CartLineView,
    CartView,
    clear_cart,
    remove_from_cart,
    set_quantity,
    view_cart,
)
from bot.ordering.checkout import line_meant, quantity_in

RESERVE_NOW = Button("Reserve now", payload("place_order"))


def offer_checkout(turn: Turn, text: str) -> None:
    """Says `text` with a "Reserve now" button; "yes" or "reserve now" then goes to checkout."""
    buttons = (RESERVE_NOW,)
    turn.state = turn.state.asking(Question("checkout", "confirm", buttons, data={"soft": True}))
    turn.say(text, buttons)


async def show(turn: Turn) -> None:
    cart = await turn.shop.call(view_cart, turn.conversation_id)
    if cart.is_empty:
        turn.say(await cart_text(turn, cart))
    else:
        offer_checkout(turn, await cart_text(turn, cart))


def _line_buttons(cart: CartView, intent: str) -> tuple[Button, ...]:
    return tuple(Button(line.name, payload(intent, sku=line.sku)) for line in cart.lines)


_KEEPING = re.compile(r"[,;.]?\s*\b(?:just|only|but keep|keep|leave)\b", re.I)


def _line_of(turn: Turn, cart: CartView) -> CartLineView | None:
    """The basket line the message means: a tapped one, one named, or the one just added ("remove it")."""
    sku = turn.heard.entity("sku")
    if sku:
        return next((line for line in cart.lines if line.sku == sku), None)
    # "take the poles out, just the torch": the line named before "just" / "keep" is the one meant.
    line = (line_meant(cart, _KEEPING.split(turn.text)[0]) or line_meant(cart, turn.text)) if turn.text else None
    last = turn.state.last.get("sku")
    if line is None and last and (not turn.text or refers_back(turn.text) or not _names_a_product(turn.text)):
        line = next((item for item in cart.lines if item.sku == last), None)  # "make it 3" / "no, 2": the one just added
    return line


def _names_a_product(text: str) -> bool:
    return bool(re.search(r"[a-z]{4,}", re.sub(r"\b(?:make|change|remove|take|just|only|please|instead|items?|them|those|these|that|this|basket|cart|quantity|number|actually|sorry|meant|want|wanted|need|three|four|seven|eight|eleven|twelve|instead|rather)\b", " ", text.lower())))


def _quantity(turn: Turn) -> int | None:
    named = turn.heard.entity("quantity")
    if named and named.isdigit():
        return int(named)
    return quantity_in(turn.text) if turn.text else None


async def clear(turn: Turn) -> None:
    """"Empty my basket": every line out at once."""
    cart = await turn.shop.call(view_cart, turn.conversation_id)
    turn.done(goal="clear")
    if cart.is_empty:
        turn.say(await cart_text(turn, cart))
        return
    await turn.shop.call(clear_cart, turn.conversation_id)
    turn.say("Done - your basket is empty now. Ask me about a product to start again.")


async def _basket_with_lines(turn: Turn) -> CartView | None:
    """The basket, or None after saying it is empty (nothing to remove or change)."""
    cart = await turn.shop.call(view_cart, turn.conversation_id)
    if cart.is_empty:
        turn.done()
        turn.say(await cart_text(turn, cart))
        return None
    return cart


async def remove(turn: Turn, line: CartLineView | None = None) -> None:
    cart = await _basket_with_lines(turn)
    if cart is None:
        return
    line = line or _line_of(turn, cart)
    if line is None:
        turn.ask(Question("remove", "line", _line_buttons(cart, "remove_item")), _("Which item should I take out? ") + await cart_text(turn, cart))
        return
    fewer = quantity_in(turn.text) if turn.text and not turn.heard.tapped else None
    if fewer and fewer < line.quantity:  # "remove one" of three: two left
        await change_quantity(turn, line.quantity - fewer, line)
        return
    cart = await turn.shop.call(remove_from_cart, turn.conversation_id, line.sku)
    turn.done(goal="remove", sku=line.sku)
    if cart.is_empty:
        turn.say(_("Removed the {name}. Your basket is empty now.").format(name=line.name))
    else:
        offer_checkout(turn, _("Removed the {name}. {basket}").format(name=line.name, basket=await cart_text(turn, cart)))


async def change_quantity(turn: Turn, quantity: int | None = None, line: CartLineView | None = None) -> None:
    cart = await _basket_with_lines(turn)
    if cart is None:
        return
    line = line or _line_of(turn, cart)
    quantity = quantity if quantity is not None else _quantity(turn)
    if line is None:
        question = Question("quantity", "line", _line_buttons(cart, "change_quantity"), data={"quantity": quantity})
        turn.ask(question, _("Which item should I change? ") + await cart_text(turn, cart))
        return
    if quantity is None:
        turn.ask(Question("quantity", "quantity", data={"sku": line.sku}), _("How many of the {name} would you like?").format(name=line.name))
        return
    if quantity == 0:
        await remove(turn, line)
        return
    try:
        cart = await turn.shop.call(set_quantity, turn.conversation_id, line.sku, quantity)
    except InvalidQuantity:
        turn.done()
        turn.say(_("I can reserve 1 to {MAX_LINE_QUANTITY} of each item. How many would you like?").format(MAX_LINE_QUANTITY=MAX_LINE_QUANTITY))
        return
    turn.done(goal="quantity", sku=line.sku, quantity=quantity)
    offer_checkout(turn, _("Updated. {basket}").format(basket=await cart_text(turn, cart)))


async def answer(turn: Turn, question: Question) -> bool:
    """Replies to "which item?" and "how many?"."""
    cart = await turn.shop.call(view_cart, turn.conversation_id)
    if question.about == "line":
        line = _line_of(turn, cart)
        if line is None:
            return False
        if question.goal == "remove":
            await remove(turn, line)
        else:
            await change_quantity(turn, question.data.get("quantity"), line)
        return True
    quantity = _quantity(turn)
    line = next((item for item in cart.lines if item.sku == question.data.get("sku")), None)
    if quantity is None or line is None:
        return False
    await change_quantity(turn, quantity, line)
    return True
