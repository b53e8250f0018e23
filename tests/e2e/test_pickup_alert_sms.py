"""End to end: a store marks an order ready through the API and the shopper's phone gets one SMS.

Real processes: the Rasa server (trigger_intent, rules, the sms output channel) and the bot server
(store API, action endpoint), with the real Twilio library pointed at a fake Twilio API on loopback.
"""

from __future__ import annotations

import time
from typing import Iterator

import httpx
import pytest

from bot.ordering.cart import add_to_cart
from bot.catalog.inventory import set_on_hand
from bot.messaging.channel_rules import opt_out
from bot.ordering.orders import order_status
from bot.ordering.placing import place_order
from bot.catalog.stores import store_details
from bot.identity.store_access import create_api_key
from bot.kernel.shop import Shop
from scripts.stack import RunningStack
from tests.support.fake_twilio import FakeTwilio
from tests.support.stack import running_assistant

pytestmark = pytest.mark.e2e

STORE = "didsbury"
SKU = "FS-BOOT-TRB-BRN-9"
SHOPPER = "+447700900123"
OPTED_OUT = "+447700900456"


@pytest.fixture(scope="module")
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(auth_token="e2e-twilio-token") as fake:
        yield fake


@pytest.fixture(scope="module")
def stack_with_sms(tmp_path_factory: pytest.TempPathFactory, fake_twilio: FakeTwilio) -> Iterator[tuple[RunningStack, Shop]]:
    env = {
        "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000000",
        "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
        "TWILIO_SMS_FROM": "+447700900000",
        "TWILIO_API_BASE": fake_twilio.base_url,
    }
    yield from running_assistant(tmp_path_factory.mktemp("pickup_sms"), env)


def _sms_order(shop: Shop, phone: str) -> tuple[str, str]:
    conversation = f"sms:{phone}"
    shop.run(set_on_hand, STORE, SKU, 10)
    shop.run(add_to_cart, conversation, SKU, 1)
    placed = shop.run(place_order, conversation, "sms", STORE, "at_pickup", contact_phone=phone)
    return placed.reference, placed.pickup_code


def _messages_to(fake: FakeTwilio, phone: str) -> list[str]:
    return [message.field("Body") or "" for message in fake.messages if message.field("To") == phone]


def test_mark_ready_through_the_api_texts_the_shopper_once(stack_with_sms, fake_twilio: FakeTwilio) -> None:  # type: ignore[no-untyped-def]
    stack, shop = stack_with_sms
    _prefix, key = shop.run(create_api_key, STORE, "e2e")
    reference, code = _sms_order(shop, SHOPPER)
    store = shop.run(store_details, STORE)

    with httpx.Client(base_url=stack.bot_url, timeout=60, headers={"Authorization": f"Bearer {key}"}) as api:
        if api.get("/api/openapi.json").status_code == 404:
            pytest.fail("the store API is not mounted: bot/server/app.py must add build_store_api_blueprint()")
        response = api.post(f"/api/stores/{STORE}/orders/{reference}/ready")
        assert response.status_code == 200 and response.json()["alert_scheduled"] is True

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _messages_to(fake_twilio, SHOPPER):
            time.sleep(0.2)
        bodies = _messages_to(fake_twilio, SHOPPER)
        assert len(bodies) == 1, bodies
        assert code in bodies[0] and reference in bodies[0]
        assert store.store.name in bodies[0] and store.address in bodies[0]

        # The same ready event again: no second text.
        assert api.post(f"/api/stores/{STORE}/orders/{reference}/ready").json()["alert_scheduled"] is False
        time.sleep(3)
        assert len(_messages_to(fake_twilio, SHOPPER)) == 1
    assert shop.run(order_status, reference).status == "ready"


def test_an_opted_out_shopper_gets_nothing(stack_with_sms, fake_twilio: FakeTwilio) -> None:  # type: ignore[no-untyped-def]
    stack, shop = stack_with_sms
    _prefix, key = shop.run(create_api_key, STORE, "e2e-optout")
    reference, _code = _sms_order(shop, OPTED_OUT)
    shop.run(opt_out, OPTED_OUT, "STOP")

    with httpx.Client(base_url=stack.bot_url, timeout=60, headers={"Authorization": f"Bearer {key}"}) as api:
        response = api.post(f"/api/stores/{STORE}/orders/{reference}/ready")
    assert response.status_code == 200
    assert response.json()["alert_scheduled"] is False and "opted out" in response.json()["alert_suppressed"]
    time.sleep(5)
    assert _messages_to(fake_twilio, OPTED_OUT) == []
    assert shop.run(order_status, reference).status == "ready"
