"""A message handled again after a crash (same inbound message id) adds nothing twice and orders once.

The crash is the one from the issue: the action committed its change, then the process running the turn
died, so the tracker never saved the turn. The dialogue state is therefore the one from before the
message, and the same message (same id) is handled again.
"""

from __future__ import annotations

import pytest

from bot.ordering.cart import view_cart
from bot.catalog.inventory import set_on_hand
from bot.ordering.orders import orders_for_conversation
from bot.kernel.shop import Shop
from tests.bot.conversation.chat import Chat


@pytest.fixture
def beanies(catalog_shop: Shop) -> Shop:
    for store in ("arndale", "trafford", "stockport"):
        catalog_shop.run(set_on_hand, store, "FS-ACC-BEA-GRY-OS", 20)
    return catalog_shop


async def crash_and_replay(chat: Chat, text: str, intent: str | None, message_id: str) -> tuple[str, str]:
    """Handles the message, forgets the turn (the tracker was never saved), handles it again."""
    before = chat.state
    first = await chat.say(text, intent, message_id=message_id)
    chat.state = before
    again = await chat.say(text, intent, message_id=message_id)
    return first, again


def basket(chat: Chat) -> list[tuple[str, int]]:
    return [(line.sku, line.quantity) for line in chat.shop.run(view_cart, chat.conversation_id).lines]


async def test_the_same_add_handled_twice_gives_one_basket_line(beanies: Shop) -> None:
    chat = Chat(beanies)
    first, again = await crash_and_replay(chat, "reserve 2 grey beanies at arndale", "reserve_item", "SM-add-1")
    assert basket(chat) == [("FS-ACC-BEA-GRY-OS", 2)]
    assert "basket" in first.lower() and again == first  # the shopper sees the same answer both times
    # A new message (a new id) saying the same thing is a new request and does add.
    await chat.say("reserve 2 grey beanies at arndale", "reserve_item", message_id="SM-add-2")
    assert basket(chat) == [("FS-ACC-BEA-GRY-OS", 4)]


async def test_the_same_order_handled_twice_places_one_order_with_one_link(beanies: Shop) -> None:
    chat = Chat(beanies)
    await chat.say("reserve a grey beanie at arndale", "reserve_item", message_id="m-1")
    await chat.say("checkout", "place_order", message_id="m-2")
    first, again = await crash_and_replay(chat, "pay now by link", None, "m-3")
    placed = chat.shop.run(orders_for_conversation, chat.conversation_id)
    assert [(o.store_id, o.payment_method, o.status) for o in placed] == [("arndale", "link", "pending_payment")]
    assert "/pay/" in first and again == first  # the same order and the same pay link, not "your basket is empty"
    assert basket(chat) == []


async def test_without_message_ids_nothing_is_deduplicated(beanies: Shop) -> None:
    """Messages with no id (none given by the channel) are each their own request."""
    chat = Chat(beanies)
    await chat.say("reserve 2 grey beanies at arndale", "reserve_item")
    await chat.say("reserve 2 grey beanies at arndale", "reserve_item")
    assert basket(chat) == [("FS-ACC-BEA-GRY-OS", 4)]
