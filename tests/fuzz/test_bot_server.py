"""Fuzzing the bot server's public routes: the web chat API, the payment webhooks (validly signed)
and, with Schemathesis, every operation of the store API's OpenAPI document. No 5xx, and the
server still answers afterwards.

The whole bot server app is served on loopback; only the Rasa client is stood in for (it records
what would be forwarded, and refuses what Rasa's web chat channel refuses).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any, Iterator

import httpx
import pytest
import requests
import schemathesis
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st
from sanic import Sanic
from schemathesis import GenerationMode

from bot.payments.stripe_signature import sign
from bot.server.app import create_app
from bot.identity import store_access
from bot.kernel.shop import Shop
from tests.bot.factories import place, seed_small_shop
from tests.fuzz.conftest import Probe, fuzz_settings
from tests.fuzz.strategies import json_bodies, text
from tests.support.rasa_standin import RecordingRasa
from tests.support.threaded_server import ServerThread, serving_in_thread

WEB = "web-7f3c2a9e-0000-4000-8000-0123456789ab"
STRIPE_WEBHOOK_SECRET = "whsec_fuzz_stripe"


@dataclasses.dataclass
class BotServer:
    thread: ServerThread
    shop: Shop
    rasa: RecordingRasa
    store_key: str
    order_reference: str

    @property
    def base_url(self) -> str:
        return self.thread.base_url


@pytest.fixture(scope="module")
def bot_server(fuzz_shop: Shop) -> Iterator[BotServer]:
    with pytest.MonkeyPatch.context() as patch:
        # Store keys hashed with argon2's cheapest settings: the same code verifies them, in
        # microseconds instead of ~50 ms, so thousands of authenticated requests fit in the budget.
        cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        patch.setattr(store_access, "_hasher", cheap)
        patch.setattr(store_access, "_DECOY_HASH", cheap.hash("decoy"))
        fuzz_shop.settings = dataclasses.replace(fuzz_shop.settings, stripe_secret_key="sk_test_fuzz", stripe_webhook_secret=STRIPE_WEBHOOK_SECRET)
        seed_small_shop(fuzz_shop)
        key = fuzz_shop.run(store_access.create_api_key, "leeds", "fuzz till")[1]
        reference = place(fuzz_shop, "sms:+447700900123", {"JKT-NVY-M": 1}, store_id="leeds", payment_method="at_pickup", channel="sms").reference
        rasa = RecordingRasa()
        app = create_app(fuzz_shop, name=f"fuzz_bot_{uuid.uuid4().hex[:8]}", run_sweeper=False)
        app.config.ACCESS_LOG = False

        @app.after_server_start
        async def use_recording_rasa(app: Sanic, _loop: object) -> None:
            await app.ctx.rasa.close()
            app.ctx.rasa = rasa

        with serving_in_thread(app) as thread:
            yield BotServer(thread, fuzz_shop, rasa, key, reference)


def _still_answers(server: BotServer) -> None:
    assert httpx.get(f"{server.base_url}/health", timeout=10).status_code == 200


def test_web_chat_messages(bot_server: BotServer) -> None:
    template = {"conversation_id": WEB, "text": "is the fleece in stock", "payload": "/affirm"}
    with httpx.Client(base_url=bot_server.base_url, timeout=30) as client:
        probe = Probe(client, "POST /chat/api/messages")

        @fuzz_settings()
        @given(body=json_bodies(template))
        def send(body: bytes) -> None:
            probe.send("POST", "/chat/api/messages", content=body, headers={"Content-Type": "application/json"})

        send()
    _still_answers(bot_server)
    probe.check()
    assert all(len(text) <= 2000 and text.strip() for _, text in bot_server.rasa.forwarded)


def test_web_chat_history(bot_server: BotServer) -> None:
    with httpx.Client(base_url=bot_server.base_url, timeout=30) as client:
        probe = Probe(client, "GET /chat/api/history")

        @fuzz_settings()
        @given(
            conversation=st.one_of(st.just(WEB), text(surrogates=False)),
            after=st.one_of(st.integers().map(str), text(surrogates=False)),
            last_event_id=st.one_of(st.none(), st.integers(min_value=0).map(str), st.text(alphabet="0123456789²", max_size=30)),
        )
        def send(conversation: str, after: str, last_event_id: str | None) -> None:
            headers = {"Last-Event-ID": last_event_id.encode()} if last_event_id else {}
            probe.send("GET", "/chat/api/history", params={"conversation_id": conversation, "after": after}, headers=headers)

        send()
    _still_answers(bot_server)
    probe.check()


PAYMENT_TEMPLATE = {
    "id": "evt_1",
    "type": "checkout.session.completed",
    "data": {
        "object": {
            "object": "checkout.session",
            "id": "cs_sandbox_1",
            "payment_status": "paid",
            "amount_total": 8999,
            "currency": "gbp",
            "client_reference_id": "FS-1",
            "payment_intent": "pi_1",
            "metadata": {"order_reference": "FS-1", "card_last4": "4242"},
        }
    },
}


@pytest.mark.parametrize("provider", ["sandbox", "stripe"])
def test_payment_webhooks(bot_server: BotServer, provider: str) -> None:
    secret = bot_server.shop.settings.sandbox_webhook_secret if provider == "sandbox" else STRIPE_WEBHOOK_SECRET
    references = st.sampled_from([bot_server.order_reference, "FS-1", ""])
    with httpx.Client(base_url=bot_server.base_url, timeout=30) as client:
        probe = Probe(client, f"POST /webhooks/payments/{provider}")

        @fuzz_settings()
        @given(body=json_bodies(PAYMENT_TEMPLATE), reference=references, signed=st.sampled_from([True] * 9 + [False]))
        def send(body: bytes, reference: str, signed: bool) -> None:
            body = body.replace(b'"FS-1"', json.dumps(reference).encode())  # sometimes a real order
            # Nine in ten validly signed (to get past authentication), one in ten forged. Stripe signs text: a
            # body that is not UTF-8 cannot be signed its way and goes with a made-up signature (refused, 403).
            try:
                signature = sign(secret if signed else "whsec_forged", body)
            except UnicodeDecodeError:
                signature = "t=1,v1=" + "0" * 64
            probe.send("POST", f"/webhooks/payments/{provider}", content=body, headers={"Stripe-Signature": signature, "Content-Type": "application/json"})

        send()
    _still_answers(bot_server)
    probe.check()


OPERATIONS = [
    "GET /api/stores/{store_id}/orders",
    "GET /api/stores/{store_id}/orders/{reference}",
    "POST /api/stores/{store_id}/orders/{reference}/ready",
    "POST /api/stores/{store_id}/orders/{reference}/collect",
    "POST /api/stores/{store_id}/orders/{reference}/cancel",
    "PUT /api/stores/{store_id}/stock",
]  # and GET /api/openapi.json, which takes no input (Schemathesis reads it, and lists no operation for it)


@pytest.fixture(scope="module")
def store_api(bot_server: BotServer) -> dict[str, Any]:
    """The store API's operations, as Schemathesis reads them from GET /api/openapi.json."""
    schema = schemathesis.openapi.from_url(f"{bot_server.base_url}/api/openapi.json")
    return {f"{op.method.upper()} {op.path}": op for op in (result.ok() for result in schema.get_all_operations())}


def test_schemathesis_finds_every_store_api_operation(store_api: dict[str, Any]) -> None:
    assert sorted(store_api) == sorted(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_store_api_with_schemathesis(bot_server: BotServer, store_api: dict[str, Any], label: str) -> None:
    """Positive and negative cases of one operation, with a valid key for the store in the path."""
    operation = store_api[label]
    auth = {"Authorization": f"Bearer {bot_server.store_key}"}
    probe = Probe(None, label)  # type: ignore[arg-type]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))
    with requests.Session() as session:

        @fuzz_settings()
        @given(case=cases, own_store=st.integers(0, 3), real_order=st.booleans())
        def send(case: Any, own_store: int, real_order: bool) -> None:
            # Mostly the key's own store (to get past the 403) and sometimes a real order of it.
            if own_store and "store_id" in (case.path_parameters or {}):
                case.path_parameters["store_id"] = "leeds"
                if real_order and "reference" in case.path_parameters:
                    case.path_parameters["reference"] = bot_server.order_reference
            response = case.call(base_url=bot_server.base_url, session=session, headers=auth, timeout=30)
            probe.record(response.status_code, f"{case.method} {case.formatted_path}: {response.text[:200]}")

        send()
    _still_answers(bot_server)
    probe.check()
