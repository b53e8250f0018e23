"""Stripe's webhook signature scheme, used by the Stripe provider and, identically, by the sandbox.

Header: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=...]`.
Several v1 entries appear while a secret is being rolled; any one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from bot.payments.base import InvalidSignature

SIGNATURE_HEADER = "Stripe-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def compute_signature(secret: str, timestamp: int, raw_body: bytes) -> str:
    """Hex HMAC-SHA256 of "<timestamp>.<raw body>" with the endpoint secret."""
    signed = str(timestamp).encode("ascii") + b"." + raw_body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(secret: str, raw_body: bytes, timestamp: int | None = None) -> str:
    """The Stripe-Signature header value for `raw_body` (what Stripe, or the sandbox, sends)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={compute_signature(secret, timestamp, raw_body)}"


def verify(
    raw_body: bytes,
    header: str | None,
    secret: str,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Checks a Stripe-Signature header against the raw body, in constant time.

    Returns:
        The signed timestamp.

    Raises:
        InvalidSignature: no secret configured, header missing or malformed, no v1 matches, or the
            timestamp is more than `tolerance_seconds` away from now (replays).
    """
    if not secret:
        raise InvalidSignature("no webhook secret configured")
    if not header:
        raise InvalidSignature("missing Stripe-Signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError as error:
                raise InvalidSignature("malformed timestamp") from error
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature("no timestamp or v1 signature in header")
    expected = compute_signature(secret, timestamp, raw_body)
    # Compare against every candidate without stopping early, so timing says nothing about which.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise InvalidSignature("signature does not match")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise InvalidSignature("timestamp outside the tolerance window")
    return timestamp
