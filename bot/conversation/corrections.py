"""Corrections: "no, I meant blue", "actually size 10", "salford not arndale": change the focus and redo the
last step (swapping the basket line when the item was already added)."""

from __future__ import annotations

from dataclasses import replace

from bot.conversation import offers
from bot.conversation.stock import CHECK, RESERVE, ask, heard_focus, options_of, proceed, specific
from bot.conversation.turn import Turn
from bot.replies.checkout import format_cart
from bot.replies.stock import format_stock_answer
from bot.services.cart import view_cart
from bot.services.inventory import check_stock

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
    if last.get("goal") == "order" and last.get("reference"):
        # "oh no, i wanted navy not green" after ordering: the order stands until they cancel it.
        turn.say(f"Order {last['reference']} is already placed as it was. To swap, say \"cancel my order\" and then "
                 "reserve the one you want. Here it is:")
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
