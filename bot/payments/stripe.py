"""Stripe Checkout Sessions as the payment link provider, through Stripe's official library.

A `StripeClient` per provider, pointed at `STRIPE_API_BASE` (Stripe, or a local fake in tests). Calls
block; run them off the event loop (`Shop.call` or `asyncio.to_thread`).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

import stripe

from bot.kernel.inbound_text import load_json_body
from bot.payments import stripe_signature
from bot.payments.base import (
    CreatedLink,
    EventKind,
    LinkRequest,
    MalformedEvent,
    PaymentEvent,
    PaymentProvider,
    PaymentProviderError,
    RefundResult,
    header_value,
)

# Stripe accepts a Checkout Session expiry 30 minutes to 24 hours after creation; stay a minute
# inside both ends so clock skew between us and Stripe cannot push a request out of range.
MIN_SESSION_SECONDS = 31 * 60
MAX_SESSION_SECONDS = 24 * 60 * 60 - 60

_SESSION_EVENTS = {
    "checkout.session.async_payment_succeeded": EventKind.SUCCEEDED,
    "checkout.session.async_payment_failed": EventKind.FAILED,
    "checkout.session.expired": EventKind.EXPIRED,
}


def clamp_expiry(wanted: datetime, now: float) -> int:
    """The unix expiry to send Stripe: the hold's end, kept within Stripe's allowed window."""
    return int(min(max(wanted.timestamp(), now + MIN_SESSION_SECONDS), now + MAX_SESSION_SECONDS))


def parse_checkout_event(raw_body: bytes, provider: str) -> PaymentEvent:
    """Reads a Stripe event (already verified) into a PaymentEvent.

    `checkout.session.completed` counts as money taken only when `payment_status` is "paid" (or
    "no_payment_required"); delayed methods report "unpaid" and settle later with
    `checkout.session.async_payment_succeeded` or `..._failed`.

    Raises:
        MalformedEvent: not JSON, or not shaped like a Stripe event.
    """
    try:
        event = load_json_body(raw_body)
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            raise TypeError("not an object with a data object")
        event_id, event_type = event["id"], event["type"]
        # Ids are short strings; a signed body holding anything else is malformed, not a 500.
        if not (isinstance(event_id, str) and 0 < len(event_id) <= 120 and isinstance(event_type, str) and len(event_type) <= 80):
            raise TypeError("id and type must be short strings")
        session = event["data"]["object"]
        if not isinstance(session, dict):
            raise TypeError("data.object is not an object")
    except (ValueError, KeyError, TypeError) as error:
        raise MalformedEvent(f"not a Stripe event: {error}") from error
    if session.get("object") != "checkout.session":
        kind = EventKind.IGNORED
    elif event_type == "checkout.session.completed":
        paid = session.get("payment_status") in ("paid", "no_payment_required")
        kind = EventKind.SUCCEEDED if paid else EventKind.PENDING
    else:
        kind = _SESSION_EVENTS.get(event_type, EventKind.IGNORED)
    metadata = session.get("metadata") if isinstance(session.get("metadata"), dict) else {}  # metadata: "s" was a 500
    amount = session.get("amount_total")
    currency = session.get("currency")
    payment_intent = session.get("payment_intent")
    if isinstance(payment_intent, dict):  # expanded
        payment_intent = payment_intent.get("id")
    return PaymentEvent(
        provider=provider,
        event_id=event_id,
        event_type=event_type,
        kind=kind,
        provider_ref=_short_text(session.get("id")) or "",
        order_reference=_short_text(metadata.get("order_reference")) or _short_text(session.get("client_reference_id")),
        amount_minor=amount if isinstance(amount, int) and not isinstance(amount, bool) and 0 <= amount < 2**53 else None,
        currency=currency.upper() if isinstance(currency, str) and len(currency) == 3 else None,
        payment_ref=_short_text(payment_intent),
        card_last4=_short_text(metadata.get("card_last4")),
    )


def _short_text(value: object) -> str | None:
    """A string field of an event, if it is one that fits our columns (120 characters)."""
    return value if isinstance(value, str) and 0 < len(value) <= 120 else None


class StripeProvider(PaymentProvider):
    """Pay links as Stripe Checkout Sessions; webhooks verified with the endpoint's signing secret."""

    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        public_base_url: str,
        api_base: str = "https://api.stripe.com",
        timeout_seconds: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret_key or not webhook_secret:
            raise ValueError("Stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET")
        self._webhook_secret = webhook_secret
        self._public_base_url = public_base_url.rstrip("/")
        self._api_base = api_base.rstrip("/")
        self._clock = clock
        # No retries inside the library: a failed call surfaces at once and the caller's next attempt
        # reuses the same idempotency key, so Stripe never makes two sessions for one order.
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": self._api_base},
            max_network_retries=0,
            http_client=stripe.new_default_http_client(timeout=timeout_seconds),
        )

    def __repr__(self) -> str:  # never show the keys
        return f"StripeProvider(api_base={self._api_base!r})"

    def _call(self, what: str, call: Callable[[], Any]) -> dict[str, Any]:
        """Runs one library call; its result as a plain dict, its failures as PaymentProviderError."""
        try:
            return call().to_dict()
        except stripe.APIConnectionError as error:
            raise PaymentProviderError(f"Stripe unreachable: {type(error).__name__}") from None
        except stripe.StripeError as error:
            message = error.user_message or (error.error.message if error.error else None)
            raise PaymentProviderError(f"Stripe {what} failed ({error.http_status}): {message or 'no detail'}") from None

    def create_link(self, request: LinkRequest) -> CreatedLink:
        """Creates a Checkout Session (one line: the order) offering the market's payment methods."""
        expires_at = clamp_expiry(request.expires_at, self._clock())
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [{
                "price_data": {
                    "currency": request.currency.lower(),
                    "unit_amount": request.amount_minor,
                    "product_data": {"name": request.description},
                },
                "quantity": 1,
            }],
            "client_reference_id": request.order_reference,
            "expires_at": expires_at,
            "metadata": {"order_reference": request.order_reference},
            "payment_intent_data": {"metadata": {"order_reference": request.order_reference}},
            "success_url": f"{self._public_base_url}/payments/complete?order={request.order_reference}",
            "cancel_url": f"{self._public_base_url}/payments/cancelled?order={request.order_reference}",
        }
        if request.payment_methods:
            params["payment_method_types"] = list(request.payment_methods)
        if request.customer_ref:
            params["metadata"]["customer_ref"] = request.customer_ref
        session = self._call(
            "POST /v1/checkout/sessions",
            lambda: self._client.v1.checkout.sessions.create(params, {"idempotency_key": request.idempotency_key}),  # type: ignore[arg-type]
        )
        try:
            return CreatedLink(
                provider=self.name,
                provider_ref=str(session["id"]),
                url=str(session["url"]),
                expires_at=datetime.fromtimestamp(int(session.get("expires_at") or expires_at), timezone.utc),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise PaymentProviderError("Stripe returned a session without id or url") from error

    def parse_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        stripe_signature.verify(raw_body, header_value(headers, stripe_signature.SIGNATURE_HEADER), self._webhook_secret)
        return parse_checkout_event(raw_body, self.name)

    def refund(self, provider_ref: str, amount_minor: int) -> RefundResult:
        """Refunds through the session's PaymentIntent (looked up from the session id)."""
        session = self._call(f"GET /v1/checkout/sessions/{provider_ref}", lambda: self._client.v1.checkout.sessions.retrieve(provider_ref))
        payment_intent = session.get("payment_intent")
        if isinstance(payment_intent, dict):
            payment_intent = payment_intent.get("id")
        if not payment_intent:
            raise PaymentProviderError(f"session {provider_ref} has no payment to refund")
        refund = self._call(
            "POST /v1/refunds",
            lambda: self._client.v1.refunds.create(
                {"payment_intent": str(payment_intent), "amount": amount_minor},
                {"idempotency_key": f"refund-{provider_ref}-{amount_minor}"},
            ),
        )
        return RefundResult(refund_id=str(refund.get("id", "")), status=str(refund.get("status", "")))
