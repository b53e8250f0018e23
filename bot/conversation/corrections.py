"""Corrections: "no, I meant blue", "actually size 10", "salford not arndale": change the focus and redo the
last step (swapping the basket line when the item was already added)."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.languages import _
from bot.conversation import offers
from bot.conversation.focus import (
    CHECK,
    RESERVE,
    heard_focus,
    options_of,
    similar_product,
    specific,
)
from bot.conversation.state import Focus
from bot.conversation.stock import ask, proceed
from bot.conversation.market import cart_text
from bot.conversation.turn import Turn
from bot.funnel.facts import BASKET_ADDS
from bot.catalog.stock_replies import format_stock_answer
from bot.ordering.cart import view_cart
from bot.catalog.matching import resolve_colour
from bot.ordering.checkout import add_item, quantity_in
from bot.catalog.inventory import check_stock


async def _collect_elsewhere(turn: Turn) -> None:
    focus = turn.state.focus
    assert focus.product and focus.store
    answer = await turn.shop.call(check_stock, focus.product, focus.store, specific(focus.colour), specific(focus.size))
    if not answer.in_stock:
        turn.done(goal=CHECK)
        offers.after_stock_answer(turn, answer, format_stock_answer(answer))
        return
    cart = await turn.shop.call(view_cart, turn.conversation_id)
    from bot.conversation.basket import offer_checkout

    turn.done(goal=RESERVE, sku=answer.sku, quantity=turn.state.last.get("quantity"))
    offer_checkout(turn, _("OK, collecting from {name} instead - they have it. {basket}").format(name=answer.store.name, basket=await cart_text(turn, cart)))


async def correct(turn: Turn) -> None:
    """"No, I meant blue", "actually size 10", "make it stockport": change the focus and redo the last step.

    After an item went into the basket, the correction swaps that basket line instead of adding another.
    """
    from bot.ordering.cart import remove_from_cart

    last = dict(turn.state.last)
    before = turn.state.focus
    focus, query = await heard_focus(turn, keep_product=True)
    if query.product_name and not query.product_id and before.product and focus.product == before.product:
        # "not the puddle one, the padded one": the product like this one that the words describe.
        like = await similar_product(turn, before.product, query.product_name)
        if like:
            focus = Focus(product=like, store=focus.store, quantity=focus.quantity)
    if focus.product and before.product and focus.product != before.product:
        # "no, the half zip one": the size (or colour) already chosen still applies where the new product has it.
        options = await options_of(turn, focus.product)
        if focus.colour is None and before.colour in options.colours:
            focus = replace(focus, colour=before.colour)
        if focus.size is None and before.size in options.sizes:
            focus = replace(focus, size=before.size)
    turn.state = replace(turn.state, focus=focus)
    if last.get("goal") == "order" and last.get("reference"):
        # "oh no, i wanted navy not green" after ordering: the order stands until they cancel it.
        turn.say(_('Order {value} is already placed as it was. To swap, say "cancel my order" and then reserve the one you want. Here it is:').format(value=last['reference']))
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


_COUNT = r"(\d{1,2}|one|two|three|four|five|six)"
# "actually can i do 2 green and 2 navy" right after adding 4 green: one basket line becomes two.
TWO_WAYS = re.compile(rf"\b{_COUNT}\s+(?:in\s+)?([a-z]+)(?:\s+ones?)?\s*(?:,|\band\b|&|\+)\s*{_COUNT}\s+(?:in\s+)?([a-z]+)\b", re.I)


async def split_line(turn: Turn) -> None:
    """The item just added, split between two colours ("2 green and 2 navy")."""
    from bot.ordering.cart import remove_from_cart

    focus, last = turn.state.focus, turn.state.last
    match = TWO_WAYS.search(turn.text)
    colours = [await turn.shop.call(resolve_colour, focus.product, match.group(i)) for i in (2, 4)] if match and focus.product else []
    if not colours or None in colours or not focus.store or not last.get("sku"):
        await correct(turn)
        return
    await turn.shop.call(remove_from_cart, turn.conversation_id, str(last["sku"]))
    result = None
    for count, colour in ((quantity_in(match.group(1)), colours[0]), (quantity_in(match.group(3)), colours[1])):
        key = turn.effect_key("add")
        result = await turn.shop.call(
            add_item, turn.conversation_id, focus.product, focus.store, colour, specific(focus.size), count or 1, key
        )
        if result.cart is None:  # not enough of that colour there: say so, the rest stays as it is
            turn.done(goal=CHECK)
            offers.after_stock_answer(turn, result.stock, format_stock_answer(result.stock))
            return
        turn.count(BASKET_ADDS, key)
    turn.done(goal=RESERVE, sku=result.stock.sku if result else None)
    from bot.conversation.basket import offer_checkout

    offer_checkout(turn, _("Updated. {basket}").format(basket=await cart_text(turn, result.cart)) if result and result.cart else _("Updated."))
