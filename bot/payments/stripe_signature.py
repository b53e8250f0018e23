"""Stripe's webhook signatures, through Stripe's own library: used by the Stripe provider and, identically,
by the sandbox (which signs its events the way Stripe does, so one verifier serves both).

Header: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=...]`.
"""

from __future__ import annotations

import time

import stripe

from bot.payments.base import InvalidSignature, MalformedEvent

SIGNATURE_HEADER = "Stripe-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, raw_body: bytes, timestamp: int | None = None) -> str:
    """The Stripe-Signature header value for `raw_body` (what Stripe, or the sandbox, sends)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return stripe.WebhookSignature.generate_signature_header(raw_body.decode("utf-8"), secret, timestamp=timestamp)


def verify(raw_body: bytes, header: str | None, secret: str, tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS) -> None:
    """Checks the signature with `stripe.Webhook.construct_event` (constant time, replay window).

    Raises:
        InvalidSignature: no secret configured, header missing or malformed, no v1 matches, older than
            the tolerance, or a body that is not UTF-8 (Stripe signs text, so such a body is not Stripe's).
        MalformedEvent: correctly signed, but not JSON.
    """
    if not secret:
        raise InvalidSignature("no webhook secret configured")
    try:
        text = raw_body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSignature("body is not UTF-8 text") from None
    try:
        stripe.Webhook.construct_event(text, header, secret, tolerance=tolerance_seconds)
    except stripe.SignatureVerificationError as error:
        raise InvalidSignature(str(error).split(".")[0]) from None
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as error:
        # Signed, but the library could not build an event from it (not JSON, a bare string, nesting
        # deep enough to exhaust the stack): a 400, never a 500.
        raise MalformedEvent(f"not a Stripe event: {type(error).__name__}") from None
