"""Click-and-collect through the real servers: reserve, pay by the sandbox link, confirmation, status, cancel."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from bot.catalog.inventory import set_on_hand, stock_level
from bot.ordering.orders import orders_for_conversation
from tests.support.stack import WebShopper

pytestmark = pytest.mark.e2e

SKU = "FS-BOOT-TRB-BRN-9"
TEST_CARD = "4242 4242 4242 4242"


def wait_for(shopper: WebShopper, needle: str, timeout: float = 30.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    seen: list[dict] = []
    while time.monotonic() < deadline:
        seen += shopper.new_messages()
        if any(needle in message["text"] for message in seen):
            return seen
        time.sleep(0.3)
    raise AssertionError(f"no message containing {needle!r}; saw {[m['text'] for m in seen]}")


def test_reserve_pay_by_link_then_cancel_with_refund(assistant) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "arndale", SKU, 5)
    reserved_before = shop.run(stock_level, "arndale", SKU).reserved
    shopper = WebShopper(stack.bot_url)
    try:
        shopper.say("do you have the trailblazer boots in brown size 9 at arndale?")
        added = shopper.say("reserve 2 of those")
        assert added[-1]["text"].startswith("Added."), added
        assert "2× Trailblazer" in added[-1]["text"]

        review = shopper.say("Reserve now", payload="/place_order")
        assert [b["title"] for b in review[-1]["payload"]["buttons"]][:1] == ["Pay now by link"]

        placed = shopper.say("Pay now by link", payload='/choose_payment{"payment_method":"link"}')
        text = placed[-1]["text"]
        assert text.startswith("Reserved! Order FS-"), text
        reference = re.search(r"FS-[2-9A-Z]{6}", text).group(0)
        link = re.search(r"https?://\S+", text).group(0)
        # The hold takes the stock at once, before payment.
        assert shop.run(stock_level, "arndale", SKU).reserved == reserved_before + 2

        paid = httpx.post(link, data={"card_number": TEST_CARD}, timeout=30)
        assert paid.status_code == 200 and "Payment received" in paid.text

        confirmation = wait_for(shopper, f"Payment received for {reference}")
        order = shop.run(orders_for_conversation, shopper.conversation_id)[0]
        assert order.status == "paid"
        assert any(order.pickup_code in m["text"] for m in confirmation)

        status = shopper.say("is my order ready?")
        assert f"Order {reference}" in status[-1]["text"] and "paid" in status[-1]["text"]

        ask = shopper.say("cancel my order")
        assert ask[-1]["payload"]["buttons"][0]["title"] == "Yes, cancel order"
        done = shopper.say("Yes, cancel order", payload=ask[-1]["payload"]["buttons"][0]["payload"])
        assert f"Order {reference} is cancelled" in done[-1]["text"] and "refunded" in done[-1]["text"]
        assert shop.run(stock_level, "arndale", SKU).reserved == reserved_before
        assert shop.run(orders_for_conversation, shopper.conversation_id)[0].status == "cancelled"
    finally:
        shopper.close()


def test_a_declined_card_keeps_the_order_waiting_and_the_link_still_works(assistant) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "didsbury", SKU, 4)
    shopper = WebShopper(stack.bot_url)
    try:
        shopper.say("do you have the trailblazer boots in brown size 9 at didsbury?")
        shopper.say("reserve it")
        shopper.say("Reserve now", payload="/place_order")
        placed = shopper.say("Pay now by link", payload='/choose_payment{"payment_method":"link"}')
        link = re.search(r"https?://\S+", placed[-1]["text"]).group(0)

        # Like Stripe Checkout, a decline is shown on the pay page and the session stays open.
        declined = httpx.post(link, data={"card_number": "4000 0000 0000 0002"}, timeout=30)
        assert declined.status_code == 400 and "declined" in declined.text.lower()
        assert shop.run(orders_for_conversation, shopper.conversation_id)[0].status == "pending_payment"

        again = shopper.say("can you send me a new link")
        assert re.search(r"https?://\S+/pay/\S+", again[-1]["text"]).group(0) == link, again

        paid = httpx.post(link, data={"card_number": "4242424242424242"}, timeout=30)
        assert paid.status_code == 200
        wait_for(shopper, "Payment received")
    finally:
        shopper.close()
