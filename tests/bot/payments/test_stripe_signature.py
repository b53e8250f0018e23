"""Stripe-Signature through Stripe's library: HMAC-SHA256 over "<t>.<raw body>", 300 s, any of several v1."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from bot.payments.base import InvalidSignature, MalformedEvent
from bot.payments.stripe_signature import sign, verify

SECRET = "whsec_test_secret"
BODY = b'{"id":"evt_1","type":"checkout.session.completed"}'
T = 1_900_000_000


def _v1(secret: str, timestamp: int, body: bytes = BODY) -> str:
    """Computed here independently of both our code and Stripe's."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_known_vector() -> None:
    assert sign(SECRET, BODY, T) == f"t={T},v1={_v1(SECRET, T)}"


def test_round_trip_now() -> None:
    verify(BODY, sign(SECRET, BODY), SECRET)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        "t={now}",
        "v1={good}",
        "t=notanumber,v1={good}",
        "t={now},v1={other}",
        "t={now},v0={good}",  # only the v1 scheme counts
        "t={later},v1={good}",  # the timestamp is signed too
    ],
)
def test_rejects_forgeries(header: str | None) -> None:
    now = int(time.time())
    if header is not None:
        header = header.format(now=now, later=now + 1, good=_v1(SECRET, now), other=_v1("whsec_other", now))
    with pytest.raises(InvalidSignature):
        verify(BODY, header, SECRET)


def test_a_changed_byte_breaks_it() -> None:
    header = sign(SECRET, BODY)
    with pytest.raises(InvalidSignature):
        verify(BODY.replace(b"evt_1", b"evt_2"), header, SECRET)
    with pytest.raises(InvalidSignature):
        verify(BODY + b" ", header, SECRET)  # raw bytes, not re-serialised JSON


def test_older_than_300_seconds_is_a_replay() -> None:
    now = int(time.time())
    verify(BODY, sign(SECRET, BODY, now - 290), SECRET)
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify(BODY, sign(SECRET, BODY, now - 301), SECRET)


def test_any_of_several_v1_signatures_during_a_secret_roll() -> None:
    now = int(time.time())
    verify(BODY, f"t={now},v1={_v1('whsec_old', now)},v1={_v1(SECRET, now)}", SECRET)


def test_an_empty_secret_never_verifies() -> None:
    with pytest.raises(InvalidSignature):
        verify(BODY, sign("x", BODY), "")


def test_signed_but_not_json_is_malformed_not_forged() -> None:
    with pytest.raises(MalformedEvent):
        verify(b"not json", sign(SECRET, b"not json"), SECRET)
