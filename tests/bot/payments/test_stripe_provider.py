"""The Stripe provider against a fake Stripe on loopback that records exactly what it was sent."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import parse_qsl

import pytest

from bot.payments.base import EventKind, InvalidSignature, LinkRequest, MalformedEvent, PaymentProviderError
from bot.payments.stripe import MAX_SESSION_SECONDS, MIN_SESSION_SECONDS, StripeProvider
from bot.payments.stripe_signature import sign
from tests.bot.payments.stripe_samples import PAYMENT_INTENT, PAYMENT_INTENT_EVENT, SESSION_ID, checkout_session_event

SECRET_KEY = "sk_test_51FakeKeyForTests"
WEBHOOK_SECRET = "whsec_fake_stripe_endpoint"
NOW = 1_900_000_000.0


class FakeStripe:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail_with: tuple[int, dict] | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _record_and_answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                fake.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "form": parse_qsl(raw, keep_blank_values=True),
                    }
                )
                status, body = fake.fail_with or fake.answer(self.command, self.path, dict(parse_qsl(raw)))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _record_and_answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, method: str, path: str, form: dict[str, str]) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return 200, {
                "id": SESSION_ID,
                "object": "checkout.session",
                "url": f"https://checkout.stripe.com/c/pay/{SESSION_ID}",
                "expires_at": int(form["expires_at"]),
                "payment_status": "unpaid",
            }
        if method == "GET" and path == f"/v1/checkout/sessions/{SESSION_ID}":
            return 200, {"id": SESSION_ID, "object": "checkout.session", "payment_intent": PAYMENT_INTENT}
        if method == "POST" and path == "/v1/refunds":
            return 200, {"id": "re_3PnT2bLkdIwHu7ix0refund", "object": "refund", "status": "succeeded"}
        return 404, {"error": {"message": f"Unrecognized request URL ({method}: {path})", "type": "invalid_request_error"}}


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _provider(api_base: str) -> StripeProvider:
    return StripeProvider(SECRET_KEY, WEBHOOK_SECRET, "https://shop.example", api_base=api_base, clock=lambda: NOW)


def _request(expires_in: timedelta) -> LinkRequest:
    return LinkRequest(
        amount_minor=21998,
        currency="GBP",
        order_reference="FS-7K2M9Q",
        expires_at=datetime.fromtimestamp(NOW, timezone.utc) + expires_in,
        idempotency_key="paylink-FS-7K2M9Q-21998-0",
        description="Order FS-7K2M9Q (2 items)",
    )


def test_create_link_sends_exactly_what_stripe_expects(fake_stripe: FakeStripe) -> None:
    link = _provider(fake_stripe.base).create_link(_request(timedelta(hours=2)))

    [sent] = fake_stripe.requests
    assert (sent["method"], sent["path"]) == ("POST", "/v1/checkout/sessions")
    assert sent["headers"]["authorization"] == f"Bearer {SECRET_KEY}"
    assert sent["headers"]["idempotency-key"] == "paylink-FS-7K2M9Q-21998-0"
    assert sent["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert sent["form"] == [
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", "gbp"),
        ("line_items[0][price_data][unit_amount]", "21998"),
        ("line_items[0][price_data][product_data][name]", "Order FS-7K2M9Q (2 items)"),
        ("line_items[0][quantity]", "1"),
        ("client_reference_id", "FS-7K2M9Q"),
        ("expires_at", str(int(NOW) + 7200)),
        ("metadata[order_reference]", "FS-7K2M9Q"),
        ("payment_intent_data[metadata][order_reference]", "FS-7K2M9Q"),
        ("success_url", "https://shop.example/payments/complete?order=FS-7K2M9Q"),
        ("cancel_url", "https://shop.example/payments/cancelled?order=FS-7K2M9Q"),
    ]
    assert link.provider == "stripe" and link.provider_ref == SESSION_ID
    assert link.url == f"https://checkout.stripe.com/c/pay/{SESSION_ID}"
    assert link.expires_at == datetime.fromtimestamp(NOW + 7200, timezone.utc)


@pytest.mark.parametrize(
    ("hold_left", "sent_expiry"),
    [
        (timedelta(minutes=10), int(NOW) + MIN_SESSION_SECONDS),  # Stripe refuses under 30 min
        (timedelta(days=3), int(NOW) + MAX_SESSION_SECONDS),  # or over 24 h
        (timedelta(hours=5), int(NOW) + 5 * 3600),
    ],
)
def test_expiry_is_clamped_to_stripes_window(fake_stripe: FakeStripe, hold_left: timedelta, sent_expiry: int) -> None:
    _provider(fake_stripe.base).create_link(_request(hold_left))
    form = dict(fake_stripe.requests[0]["form"])
    assert int(form["expires_at"]) == sent_expiry
    assert 30 * 60 < sent_expiry - NOW < 24 * 3600


def test_stripe_errors_become_provider_errors_without_the_key(fake_stripe: FakeStripe) -> None:
    fake_stripe.fail_with = (400, {"error": {"message": "Invalid currency: xxx", "type": "invalid_request_error"}})
    with pytest.raises(PaymentProviderError) as caught:
        _provider(fake_stripe.base).create_link(_request(timedelta(hours=1)))
    assert "Invalid currency: xxx" in str(caught.value) and SECRET_KEY not in str(caught.value)


def test_unreachable_stripe() -> None:
    with pytest.raises(PaymentProviderError, match="unreachable"):
        _provider("http://127.0.0.1:9").create_link(_request(timedelta(hours=1)))


def test_refund_goes_through_the_sessions_payment_intent(fake_stripe: FakeStripe) -> None:
    result = _provider(fake_stripe.base).refund(SESSION_ID, 21998)

    lookup, refund = fake_stripe.requests
    assert (lookup["method"], lookup["path"]) == ("GET", f"/v1/checkout/sessions/{SESSION_ID}")
    assert (refund["method"], refund["path"]) == ("POST", "/v1/refunds")
    assert refund["form"] == [("payment_intent", PAYMENT_INTENT), ("amount", "21998")]
    assert refund["headers"]["authorization"] == f"Bearer {SECRET_KEY}"
    assert refund["headers"]["idempotency-key"] == f"refund-{SESSION_ID}-21998"
    assert (result.refund_id, result.status) == ("re_3PnT2bLkdIwHu7ix0refund", "succeeded")


def _signed(body: bytes, at: float | None = None) -> dict[str, str]:
    """Signed now: Stripe's library checks the age against the real clock."""
    return {"Stripe-Signature": sign(WEBHOOK_SECRET, body, int(time.time() if at is None else at))}


@pytest.mark.parametrize(
    ("event_type", "payment_status", "kind"),
    [
        ("checkout.session.completed", "paid", EventKind.SUCCEEDED),
        ("checkout.session.completed", "unpaid", EventKind.PENDING),  # delayed method: wait
        ("checkout.session.async_payment_succeeded", "paid", EventKind.SUCCEEDED),
        ("checkout.session.async_payment_failed", "unpaid", EventKind.FAILED),
        ("checkout.session.expired", "unpaid", EventKind.EXPIRED),
    ],
)
def test_parses_real_checkout_events(event_type: str, payment_status: str, kind: EventKind) -> None:
    body = checkout_session_event(event_type, "evt_1PnT2bLkdIwHu7ixAbCdEf", "FS-7K2M9Q", 21998, payment_status)
    event = _provider("http://unused").parse_webhook(body, _signed(body))
    assert event.kind is kind
    assert (event.provider, event.event_id, event.event_type) == ("stripe", "evt_1PnT2bLkdIwHu7ixAbCdEf", event_type)
    assert (event.provider_ref, event.order_reference, event.amount_minor, event.currency) == (
        SESSION_ID,
        "FS-7K2M9Q",
        21998,
        "GBP",
    )
    assert event.payment_ref == (None if event_type.endswith("expired") else PAYMENT_INTENT)


def test_other_event_types_are_ignored() -> None:
    event = _provider("http://unused").parse_webhook(PAYMENT_INTENT_EVENT, _signed(PAYMENT_INTENT_EVENT))
    assert event.kind is EventKind.IGNORED


def test_header_lookup_is_case_insensitive_and_stale_is_refused() -> None:
    body = checkout_session_event("checkout.session.completed", "evt_x", "FS-7K2M9Q", 100)
    provider = _provider("http://unused")
    assert provider.parse_webhook(body, {"stripe-signature": _signed(body)["Stripe-Signature"]}).event_id == "evt_x"
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body, _signed(body, at=time.time() - 301))
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body, {"Stripe-Signature": sign("whsec_attacker", body)})
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(b"\xff\xfe", _signed(b"{}"))  # not text: never Stripe's


def test_signed_garbage_is_malformed() -> None:
    with pytest.raises(MalformedEvent):
        _provider("http://unused").parse_webhook(b"not json", _signed(b"not json"))
    with pytest.raises(MalformedEvent):
        _provider("http://unused").parse_webhook(b'{"id": "evt"}', _signed(b'{"id": "evt"}'))


def test_needs_both_secrets_and_never_shows_them() -> None:
    with pytest.raises(ValueError):
        StripeProvider("", WEBHOOK_SECRET, "https://shop.example")
    with pytest.raises(ValueError):
        StripeProvider(SECRET_KEY, "", "https://shop.example")
    assert SECRET_KEY not in repr(_provider("http://x")) and WEBHOOK_SECRET not in repr(_provider("http://x"))


def test_the_markets_payment_methods_go_to_checkout_in_stripes_own_ids(fake_stripe: FakeStripe) -> None:
    from dataclasses import replace

    request = replace(_request(timedelta(hours=2)), currency="EUR", amount_minor=5990, payment_methods=("card", "mobilepay", "klarna"))
    _provider(fake_stripe.base).create_link(request)

    [sent] = fake_stripe.requests
    form = sent["form"]
    assert [value for key, value in form if key.startswith("payment_method_types")] == ["card", "mobilepay", "klarna"]
    assert [key for key, _ in form if key.startswith("payment_method_types")] == [
        "payment_method_types[0]", "payment_method_types[1]", "payment_method_types[2]"
    ]
    assert ("line_items[0][price_data][currency]", "eur") in form and ("line_items[0][price_data][unit_amount]", "5990") in form
    assert sent["headers"]["stripe-version"]  # the official library pins its API version
    assert sent["headers"]["user-agent"].startswith("Stripe/v1 PythonBindings/")


def test_without_market_methods_no_payment_method_types_are_sent(fake_stripe: FakeStripe) -> None:
    _provider(fake_stripe.base).create_link(_request(timedelta(hours=2)))
    assert not any(key.startswith("payment_method_types") for key, _ in fake_stripe.requests[0]["form"])
