"""The sandbox provider: deterministic pay links on the bot server, Stripe-identical signed events."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
import stripe

from bot.payments.base import EventKind, InvalidSignature, LinkRequest
from bot.payments.sandbox import SandboxProvider, card_outcome, is_sandbox_token, last4

SECRET = "whsec_sandbox_test"
NOW = 1_900_000_000.0


def _provider(secret: str = SECRET, clock: float = NOW) -> SandboxProvider:
    return SandboxProvider(secret, "http://shop.test:5055/", clock=lambda: clock)


def _request(key: str = "paylink-FS-7K2M9Q-8999-0") -> LinkRequest:
    return LinkRequest(8999, "GBP", "FS-7K2M9Q", datetime(2030, 1, 1, tzinfo=timezone.utc), key, "Order FS-7K2M9Q (1 item)")


def test_links_point_at_the_bot_servers_pay_page() -> None:
    link = _provider().create_link(_request())
    assert link.provider == "sandbox"
    assert link.url == f"http://shop.test:5055/pay/{link.provider_ref}"
    assert is_sandbox_token(link.provider_ref) and len(link.provider_ref) == len("cs_sandbox_") + 32
    assert link.expires_at == datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_same_idempotency_key_same_link_and_tokens_depend_on_the_secret() -> None:
    first, again = _provider().create_link(_request()), _provider().create_link(_request())
    assert first == again
    assert _provider().create_link(_request("paylink-FS-7K2M9Q-8999-1")).provider_ref != first.provider_ref
    assert _provider("whsec_other").create_link(_request()).provider_ref != first.provider_ref


def test_events_are_signed_like_stripe_and_parse_back() -> None:
    provider = _provider(clock=time.time())
    body, headers = provider.checkout_event("checkout.session.completed", "cs_sandbox_abc", "FS-7K2M9Q", 8999, "GBP", card_last4="4242")
    stripe.WebhookSignature.verify_header(body, headers["Stripe-Signature"], SECRET, tolerance=300)
    payload = json.loads(body)
    assert payload["type"] == "checkout.session.completed"
    assert payload["data"]["object"]["object"] == "checkout.session"
    assert (payload["data"]["object"]["amount_total"], payload["data"]["object"]["currency"]) == (8999, "gbp")

    event = provider.parse_webhook(body, headers)
    assert event.kind is EventKind.SUCCEEDED
    assert (event.provider, event.provider_ref, event.order_reference, event.card_last4) == (
        "sandbox",
        "cs_sandbox_abc",
        "FS-7K2M9Q",
        "4242",
    )
    assert event.event_id.startswith("evt_sandbox_")


def test_events_signed_with_another_secret_or_long_ago_are_refused() -> None:
    body, headers = _provider("whsec_attacker").checkout_event("checkout.session.completed", "cs_sandbox_abc", "FS-1", 1, "GBP")
    with pytest.raises(InvalidSignature):
        _provider().parse_webhook(body, headers)
    old_body, old_headers = _provider(clock=time.time() - 400).checkout_event("checkout.session.completed", "cs_sandbox_abc", "FS-1", 1, "GBP")
    with pytest.raises(InvalidSignature):
        _provider().parse_webhook(old_body, old_headers)


@pytest.mark.parametrize(
    ("typed", "outcome"),
    [
        ("4242 4242 4242 4242", "succeeded"),
        ("4242-4242-4242-4242", "succeeded"),
        ("4000 0000 0000 0002", "declined"),
        ("5555 5555 5555 4444", "invalid"),
        ("", "invalid"),
    ],
)
def test_test_cards(typed: str, outcome: str) -> None:
    assert card_outcome(typed) == outcome


def test_only_the_last_four_digits_are_kept() -> None:
    assert last4("4242 4242 4242 4242") == "4242"


def test_refunds_always_succeed_in_the_sandbox() -> None:
    assert _provider().refund("cs_sandbox_abc", 100).status == "succeeded"


def test_a_secret_is_required() -> None:
    with pytest.raises(ValueError):
        SandboxProvider("", "http://shop.test")
