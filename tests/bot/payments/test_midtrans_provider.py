"""The Midtrans provider (through midtransclient) against a fake Midtrans on loopback, and its notification check."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest

from bot.payments.base import EventKind, InvalidSignature, LinkRequest, PaymentProviderError
from bot.payments.midtrans import MidtransProvider, signature_key
from tests.support.fake_midtrans import FakeMidtrans

SERVER_KEY = "SB-Mid-server-FakeKeyForTests"
NOW = 1_900_000_000.0  # 2030-03-17 17:46:40 UTC = 2030-03-18 00:46:40 in Jakarta


@pytest.fixture
def fake() -> Iterator[FakeMidtrans]:
    with FakeMidtrans() as running:
        yield running


def _provider(base: str = "http://unused") -> MidtransProvider:
    return MidtransProvider(SERVER_KEY, "https://shop.example", snap_base=base, api_base=base, clock=lambda: NOW)


def _request(amount_minor: int = 377_800_000, currency: str = "IDR") -> LinkRequest:
    return LinkRequest(
        amount_minor=amount_minor, currency=currency, order_reference="FS-7K2M9Q",
        expires_at=datetime.fromtimestamp(NOW, timezone.utc) + timedelta(hours=2),
        idempotency_key="paylink-FS-7K2M9Q-377800000-0", description="Order FS-7K2M9Q (2 items)",
        payment_methods=("qris", "gopay", "bca_va", "credit_card"),
    )


def test_create_link_sends_what_snap_expects(fake: FakeMidtrans) -> None:
    link = _provider(fake.base).create_link(_request())

    [sent] = fake.requests
    assert sent["path"] == "/snap/v1/transactions"
    assert sent["headers"]["authorization"] == "Basic " + base64.b64encode(f"{SERVER_KEY}:".encode()).decode()
    assert sent["headers"]["content-type"] == "application/json" and sent["headers"]["accept"] == "application/json"
    assert sent["headers"]["user-agent"].startswith("midtransclient-python/")  # Midtrans' own library sent it
    assert sent["json"] == {
        "transaction_details": {"order_id": "paylink-FS-7K2M9Q-377800000-0", "gross_amount": 3_778_000},  # whole rupiah
        "item_details": [{"id": "FS-7K2M9Q", "price": 3_778_000, "quantity": 1, "name": "Order FS-7K2M9Q (2 items)"}],
        "expiry": {"start_time": "2030-03-18 00:46:40 +0700", "unit": "minute", "duration": 120},
        "callbacks": {"finish": "https://shop.example/payments/complete?order=FS-7K2M9Q"},
        "custom_field1": "FS-7K2M9Q",
        "enabled_payments": ["qris", "gopay", "bca_va", "credit_card"],
    }
    assert (link.provider, link.provider_ref) == ("midtrans", "paylink-FS-7K2M9Q-377800000-0")
    assert link.url == "https://app.sandbox.midtrans.com/snap/v4/redirection/snap-token-1"


def test_amounts_midtrans_cannot_take_are_refused_before_any_call(fake: FakeMidtrans) -> None:
    with pytest.raises(PaymentProviderError, match="IDR only"):
        _provider(fake.base).create_link(_request(8999, "GBP"))
    with pytest.raises(PaymentProviderError, match="not a whole rupiah"):
        _provider(fake.base).create_link(_request(377_800_050))
    assert fake.requests == []


def test_midtrans_errors_become_provider_errors_without_the_key(fake: FakeMidtrans) -> None:
    fake.fail_with = (400, {"error_messages": ["transaction_details.order_id has already been taken"]})
    with pytest.raises(PaymentProviderError) as caught:
        _provider(fake.base).create_link(_request())
    assert "already been taken" in str(caught.value) and SERVER_KEY not in str(caught.value)
    with pytest.raises(PaymentProviderError, match="unreachable"):
        _provider("http://127.0.0.1:9").create_link(_request())
    assert SERVER_KEY not in repr(_provider())


def test_refund_posts_whole_rupiah_to_the_core_api(fake: FakeMidtrans) -> None:
    result = _provider(fake.base).refund("paylink-FS-7K2M9Q-377800000-0", 377_800_000)
    [sent] = fake.requests
    assert sent["path"] == "/v2/paylink-FS-7K2M9Q-377800000-0/refund"
    assert sent["json"]["amount"] == 3_778_000 and sent["json"]["refund_key"].startswith("refund-")
    assert result.status == "refund"
    fake.fail_with = (200, {"status_code": "412", "status_message": "Merchant cannot modify status of the transaction"})
    with pytest.raises(PaymentProviderError, match="412"):  # Core API reports failure in the body
        _provider(fake.base).refund("paylink-x", 100)


def notification(status: str = "settlement", key: str = SERVER_KEY, **changes: str) -> bytes:
    """A notification as Midtrans sends it (sample from docs.midtrans.com), signed with `key`."""
    note = {
        "transaction_time": "2030-03-18 00:50:12", "transaction_status": status,
        "transaction_id": "513f1f01-c9da-474c-9fc9-d5c64364b709", "status_message": "midtrans payment notification",
        "status_code": {"settlement": "200", "pending": "201", "expire": "407", "capture": "200"}.get(status, "202"),
        "payment_type": "qris", "order_id": "paylink-FS-7K2M9Q-377800000-0", "merchant_id": "G141532850",
        "gross_amount": "3778000.00", "fraud_status": "accept", "currency": "IDR", "custom_field1": "FS-7K2M9Q",
    }
    note["signature_key"] = signature_key(note["order_id"], note["status_code"], note["gross_amount"], key)
    note.update(changes)
    return json.dumps(note).encode()


def test_signature_is_sha512_of_order_status_amount_and_key() -> None:
    expected = hashlib.sha512(b"ORDER-1012003778000.00" + SERVER_KEY.encode()).hexdigest()
    assert signature_key("ORDER-101", "200", "3778000.00", SERVER_KEY) == expected


@pytest.mark.parametrize(
    ("status", "fraud", "kind"),
    [
        ("settlement", "accept", EventKind.SUCCEEDED),
        ("capture", "accept", EventKind.SUCCEEDED),
        ("capture", "challenge", EventKind.PENDING),
        ("pending", "accept", EventKind.PENDING),
        ("deny", "deny", EventKind.FAILED),
        ("cancel", "accept", EventKind.FAILED),
        ("expire", "accept", EventKind.EXPIRED),
        ("refund", "accept", EventKind.IGNORED),
    ],
)
def test_genuine_notifications_parse(status: str, fraud: str, kind: EventKind) -> None:
    event = _provider().parse_webhook(notification(status, fraud_status=fraud), {})
    assert event.kind is kind
    assert (event.provider, event.provider_ref, event.order_reference) == ("midtrans", "paylink-FS-7K2M9Q-377800000-0", "FS-7K2M9Q")
    assert (event.amount_minor, event.currency) == (377_800_000, "IDR")  # back to sen
    assert event.event_id == f"513f1f01-c9da-474c-9fc9-d5c64364b709:{status}"


@pytest.mark.parametrize(
    "body",
    [
        notification(key="SB-Mid-server-attacker"),  # signed with another key
        notification(gross_amount="1.00"),  # amount changed after signing
        notification(transaction_status="settlement", status_code="200", order_id="paylink-other-1-0"),  # another order
        notification(signature_key=""),
        b"not json",
        b"[1, 2]",
        b'{"order_id": "x"}',
        b"[" * 5000,
    ],
)
def test_forged_or_unverifiable_notifications_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidSignature):
        _provider().parse_webhook(body, {})


def test_a_server_key_is_required() -> None:
    with pytest.raises(ValueError):
        MidtransProvider("", "https://shop.example")
