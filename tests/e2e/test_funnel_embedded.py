"""Embedded mode (`make run`, no RabbitMQ): Rasa's own process counts the funnel from its events
(endpoints.yml names bot.adapters.rasa_funnel_broker), so a shopper who asks, reserves, orders and pays
through the real servers shows up in the console's figures, each step once."""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Callable

import httpx
import pytest
from sqlalchemy import select

from bot.kernel.models import FunnelFact
from bot.catalog.inventory import set_on_hand
from bot.kernel.shop import Shop
from tests.support.stack import WebShopper

pytestmark = pytest.mark.e2e

SKU = "FS-BOOT-TRB-BRN-9"


def counted_for(shop: Shop, conversation_id: str) -> Counter:
    with shop.uow() as uow:
        return Counter(uow.session.scalars(select(FunnelFact.stage).where(FunnelFact.conversation_id == conversation_id)).all())


def wait_until(condition: Callable[[], bool], what: Callable[[], object], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what()}"
        time.sleep(0.2)


def test_a_shopper_through_the_real_servers_is_counted_at_each_step(assistant) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "trafford", SKU, 5)
    shopper = WebShopper(stack.bot_url)
    try:
        shopper.say("do you have the trailblazer boots in brown size 9 at trafford?")
        shopper.say("reserve 1 of those")
        shopper.say("Reserve now", payload="/place_order")
        placed = shopper.say("Pay now by link", payload='/choose_payment{"payment_method":"link"}')
        link = re.search(r"https?://\S+", placed[-1]["text"]).group(0)
        assert httpx.post(link, data={"card_number": "4242 4242 4242 4242"}, timeout=30).status_code == 200
        expected = Counter(conversations=1, stock_questions=1, basket_adds=1, orders_placed=1, payments_received=1)
        wait_until(lambda: counted_for(shop, shopper.conversation_id) == expected, lambda: counted_for(shop, shopper.conversation_id))
        # Asking again the same day is the same conversation, one more stock question.
        shopper.say("and do you have them at arndale?")
        expected.update(stock_questions=1)
        wait_until(lambda: counted_for(shop, shopper.conversation_id) == expected, lambda: counted_for(shop, shopper.conversation_id))
    finally:
        shopper.close()
