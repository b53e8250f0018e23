"""Stripe-Signature: HMAC-SHA256 over "<t>.<raw body>", 300 s tolerance, any of several v1 values."""

from __future__ import annotations

import time

import pytest
import stripe

from bot.payments.base import InvalidSignature
from bot.payments.stripe_signature import compute_signature, sign, verify

SECRET = "whsec_test_secret"
BODY = b'{"id":"evt_1","type":"checkout.session.completed"}'
T = 1_900_000_000


def test_round_trip() -> None:
    assert verify(BODY, sign(SECRET, BODY, T), SECRET, now=T + 10) == T


def test_matches_stripes_own_library_both_ways() -> None:
    ours = sign(SECRET, BODY, int(time.time()))
    stripe.WebhookSignature.verify_header(BODY, ours, SECRET, tolerance=300)  # raises if wrong
    theirs = stripe.WebhookSignature.generate_signature_header(BODY.decode(), SECRET, timestamp=T)
    assert theirs == sign(SECRET, BODY, T)
    assert verify(BODY, theirs, SECRET, now=T) == T


def test_known_vector() -> None:
    # hmac.new(b"whsec_test_secret", b"1900000000." + BODY, sha256).hexdigest(), computed independently
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, T) == f"t={T},v1={expected}"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        f"t={T}",
        f"v1={compute_signature(SECRET, T, BODY)}",
        f"t=notanumber,v1={compute_signature(SECRET, T, BODY)}",
        f"t={T},v1={compute_signature('whsec_other', T, BODY)}",
        f"t={T},v0={compute_signature(SECRET, T, BODY)}",  # only the v1 scheme counts
        f"t={T + 1},v1={compute_signature(SECRET, T, BODY)}",  # timestamp is signed too
    ],
)
def test_rejects_forgeries(header: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify(BODY, header, SECRET, now=T)


def test_a_changed_byte_breaks_it() -> None:
    header = sign(SECRET, BODY, T)
    with pytest.raises(InvalidSignature):
        verify(BODY.replace(b"evt_1", b"evt_2"), header, SECRET, now=T)
    with pytest.raises(InvalidSignature):
        verify(BODY + b" ", header, SECRET, now=T)  # raw bytes, not re-serialised JSON


def test_tolerance_is_300_seconds_either_way() -> None:
    header = sign(SECRET, BODY, T)
    assert verify(BODY, header, SECRET, now=T + 300) == T
    assert verify(BODY, header, SECRET, now=T - 300) == T
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify(BODY, header, SECRET, now=T + 301)
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify(BODY, header, SECRET, now=T - 301)


def test_any_of_several_v1_signatures_during_a_secret_roll() -> None:
    header = f"t={T},v1={compute_signature('whsec_old', T, BODY)},v1={compute_signature(SECRET, T, BODY)}"
    assert verify(BODY, header, SECRET, now=T) == T


def test_an_empty_secret_never_verifies() -> None:
    with pytest.raises(InvalidSignature):
        verify(BODY, sign("", BODY, T), "", now=T)
