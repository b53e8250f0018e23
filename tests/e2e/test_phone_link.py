"""End to end: a shopper who texted us links their phone from the web chat, and their basket and order follow.

Real processes: the Rasa server (NLU, the link_phone form and its rules, the SMS channel) and the bot server
(web chat, action endpoint), with the real Twilio library pointed at a fake Twilio API on loopback, which
receives the one-time code.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Iterator

import httpx
import pytest

from bot.ordering.cart import add_to_cart, view_cart
from bot.catalog.inventory import set_on_hand
from bot.ordering.placing import place_order
from bot.kernel.shop import Shop
from scripts.stack import RunningStack
from tests.support.fake_twilio import FakeTwilio
from tests.support.signing import twilio_request
from tests.support.stack import WebShopper, running_assistant

pytestmark = pytest.mark.e2e

AUTH_TOKEN = "e2e-link-twilio-token"
PHONE = "+447700900135"
SHOP_NUMBER = "+441610000002"
STORE = "arndale"
BOOTS = "FS-BOOT-TRB-BRN-9"


@pytest.fixture(scope="module")
def linked_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, Shop, FakeTwilio]]:
    with FakeTwilio(auth_token=AUTH_TOKEN) as twilio:
        env = {
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_SMS_FROM": SHOP_NUMBER,
            "TWILIO_API_BASE": twilio.base_url,
        }
        for stack, shop in running_assistant(tmp_path_factory.mktemp("e2e-phone-link"), extra_env=env):
            yield stack, shop, twilio


def text_in(stack: RunningStack, body: str) -> None:
    url = f"{stack.rasa_url}/webhooks/sms/webhook"
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": PHONE, "To": SHOP_NUMBER, "Body": body, "NumMedia": "0"}
    data, headers = twilio_request(AUTH_TOKEN, url, params)
    assert httpx.post(url, content=data, headers=headers, timeout=60).status_code == 200


def texts_to_phone(twilio: FakeTwilio) -> list[str]:
    return [message.field("Body") or "" for message in twilio.messages if message.field("To") == PHONE]


def wait_for_text(twilio: FakeTwilio, pattern: str, timeout: float = 30) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for body in texts_to_phone(twilio):
            found = re.search(pattern, body)
            if found:
                return found
        time.sleep(0.2)
    pytest.fail(f"no text matching {pattern!r}; texts: {texts_to_phone(twilio)}")


def said(replies: list[dict]) -> str:
    return "\n".join(reply["text"] for reply in replies)


def test_a_web_shopper_links_their_phone_and_their_basket_and_order_follow(linked_stack) -> None:  # type: ignore[no-untyped-def]
    stack, shop, twilio = linked_stack
    text_in(stack, "hi")  # the SMS channel records who this phone is
    wait_for_text(twilio, r".")
    shop.run(set_on_hand, STORE, BOOTS, 10)
    shop.run(add_to_cart, f"sms:{PHONE}", BOOTS, 1)
    placed = shop.run(place_order, f"sms:{PHONE}", "sms", STORE, "at_pickup", contact_phone=PHONE)
    shop.run(add_to_cart, f"sms:{PHONE}", BOOTS, 2)  # and something left in the basket

    web = WebShopper(stack.bot_url)
    try:
        nothing = said(web.say("where's my order?"))
        assert "I can't find an order from you" in nothing and "link my phone" in nothing

        asked = said(web.say("can you link my phone"))
        assert "What's your mobile number?" in asked

        texted = said(web.say("it's 07700 900135"))
        assert "I've texted a 6-digit code to ••••0135." in texted and "Type the 6-digit code" in texted
        code = wait_for_text(twilio, r"link this number to our chat is (\d{6})").group(1)

        wrong = "000000" if code != "000000" else "111111"
        assert "That code isn't right; 4 tries left." in said(web.say(wrong))

        linked = said(web.say(code))
        assert "Done - this chat is linked to ••••0135. I can see 1 order and 2 items in your basket here now." in linked

        status = said(web.say("where's my order?"))
        assert placed.reference in status
        basket = said(web.say("show my basket"))
        assert "2× Trailblazer" in basket
        # The basket is one basket: what the web chat sees is what the phone has.
        assert shop.run(view_cart, f"sms:{PHONE}").item_count == shop.run(view_cart, web.conversation_id).item_count == 2

        # On a shared computer the shopper unlinks again: the chat forgets the phone, the phone keeps everything.
        assert "no longer linked to your phone" in said(web.say("this is a shared computer, unlink my phone"))
        assert "I can't find an order from you" in said(web.say("where's my order?"))
    finally:
        web.close()
    assert shop.run(view_cart, web.conversation_id).item_count == 0
    assert shop.run(view_cart, f"sms:{PHONE}").item_count == 2
