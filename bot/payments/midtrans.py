"""Midtrans Snap as the pay-by-link provider for Indonesia: a hosted payment page (`redirect_url`) offering
the market's methods (QRIS, GoPay, virtual accounts, cards, ...), and Midtrans' HTTP notifications.
Requests go through Midtrans' official `midtransclient` (Snap for links, its Core API refunds), pointed
at MIDTRANS_SNAP_BASE / MIDTRANS_API_BASE (Midtrans, its sandbox, or a local fake in tests).

Wire contract (docs.midtrans.com: Snap backend integration, HTTP notification, refund):
- create: POST {snap_base}/snap/v1/transactions, HTTP Basic (server key as user, empty password), JSON
  `transaction_details` {order_id, gross_amount in whole rupiah}, `enabled_payments`, `expiry`; 201 with
  `token` and `redirect_url`.
- notification: JSON POSTed to us; authentic when `signature_key` == SHA512(order_id + status_code +
  gross_amount + server key), the fields exactly as sent (gross_amount is a string like "1299000.00").
- refund: POST {api_base}/v2/{order_id}/refund with `refund_key`, `amount`, `reason`.

Amounts: the project keeps IDR in ISO 4217 sen (bot/kernel/money.py); Midtrans takes whole rupiah, so
links divide by 100 and refuse an amount with sen in it rather than round someone's money.
Calls block; run them off the event loop.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

import midtransclient
import requests
from midtransclient.error_midtrans import JSONDecodeError, MidtransAPIError

from bot.payments.base import (
    CreatedLink,
    EventKind,
    InvalidSignature,
    LinkRequest,
    PaymentEvent,
    PaymentProvider,
    PaymentProviderError,
    RefundResult,
)

SEN_PER_RUPIAH = 100
_JAKARTA = timezone(timedelta(hours=7))  # Midtrans reads expiry start times as GMT+7 wall clock
_MAX_ORDER_ID = 50  # Midtrans' limit on order_id
_FAILED = {"deny", "cancel", "failure"}


def signature_key(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """Midtrans' notification signature: hex SHA512 of the four strings appended."""
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()


def rupiah(amount_minor: int, currency: str) -> int:
    """Sen to the whole rupiah Midtrans takes. Raises PaymentProviderError for anything else."""
    if currency.upper() != "IDR":
        raise PaymentProviderError(f"Midtrans takes IDR only, not {currency}")
    if amount_minor % SEN_PER_RUPIAH:
        raise PaymentProviderError(f"{amount_minor} sen is not a whole rupiah amount")
    return amount_minor // SEN_PER_RUPIAH


def _kind(transaction_status: str, fraud_status: str | None) -> EventKind:
    """Midtrans' transaction_status (and fraud_status for card captures) as what the order flow does."""
    if transaction_status == "settlement":
        return EventKind.SUCCEEDED
    if transaction_status == "capture":  # cards: captured, unless fraud detection holds it
        return EventKind.SUCCEEDED if fraud_status in (None, "", "accept") else EventKind.PENDING
    if transaction_status in ("pending", "authorize"):
        return EventKind.PENDING
    if transaction_status in _FAILED:
        return EventKind.FAILED
    if transaction_status == "expire":
        return EventKind.EXPIRED
    return EventKind.IGNORED  # refund, partial_refund, chargeback: recorded by us when we refund


def parse_notification(raw_body: bytes, server_key: str, provider: str) -> PaymentEvent:
    """Verifies a Midtrans notification, then reads it into a PaymentEvent.

    The signature covers fields inside the body, so the body is read as JSON first; anything that
    cannot be verified (not JSON, a field missing or not a string) is refused as unsigned, never parsed.

    Raises:
        InvalidSignature: no server key, unverifiable body, or a signature that does not match.
    """
    if not server_key:
        raise InvalidSignature("no Midtrans server key configured")
    try:
        note = json.loads(raw_body)
    except (ValueError, RecursionError):
        raise InvalidSignature("not a JSON notification") from None
    if not isinstance(note, dict):
        raise InvalidSignature("not a JSON object")
    fields = [note.get(name) for name in ("order_id", "status_code", "gross_amount", "signature_key", "transaction_status")]
    if not all(isinstance(value, str) and 0 < len(value) <= 200 for value in fields):
        raise InvalidSignature("order_id, status_code, gross_amount, signature_key or transaction_status missing")
    order_id, status_code, gross_amount, signature, status = fields
    if not hmac.compare_digest(signature_key(order_id, status_code, gross_amount, server_key), signature.lower()):
        raise InvalidSignature("signature_key does not match")
    transaction_id = note.get("transaction_id") if isinstance(note.get("transaction_id"), str) else order_id
    try:
        amount_minor: int | None = int(Decimal(gross_amount) * SEN_PER_RUPIAH)
    except (InvalidOperation, ValueError):
        amount_minor = None
    fraud = note.get("fraud_status") if isinstance(note.get("fraud_status"), str) else None
    masked = note.get("masked_card") if isinstance(note.get("masked_card"), str) else ""
    currency = note.get("currency") if isinstance(note.get("currency"), str) and len(note["currency"]) == 3 else "IDR"
    return PaymentEvent(
        provider=provider,
        # Midtrans repeats a notification until we answer 200, and sends one per status change: the
        # pair is what happened once.
        event_id=f"{transaction_id[:80]}:{status[:30]}",
        event_type=f"midtrans.{status}"[:80],
        kind=_kind(status, fraud),
        provider_ref=order_id[:120],
        order_reference=_short(note.get("custom_field1")),  # Snap hands our custom field back
        amount_minor=amount_minor if amount_minor is not None and 0 <= amount_minor < 2**53 else None,
        currency=currency.upper(),
        payment_ref=transaction_id[:120],
        card_last4=masked[-4:] if masked[-4:].isdigit() else None,
    )


def _short(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 120 else None


def snap_order_id(idempotency_key: str) -> str:
    """The Midtrans order_id of one link: unique per attempt, as Midtrans never reuses an order_id."""
    return "".join(ch if ch.isalnum() or ch in "-_.~" else "-" for ch in idempotency_key)[:_MAX_ORDER_ID]


def snap_request(request: LinkRequest, now: float, finish_url: str) -> dict[str, Any]:
    """The Snap transaction body for one pay link."""
    start = datetime.fromtimestamp(now, _JAKARTA)
    minutes = max(1, int((request.expires_at.timestamp() - now) // 60))
    gross = rupiah(request.amount_minor, request.currency)
    body: dict[str, Any] = {
        "transaction_details": {"order_id": snap_order_id(request.idempotency_key), "gross_amount": gross},
        "item_details": [{"id": request.order_reference, "price": gross, "quantity": 1, "name": request.description[:50]}],
        "expiry": {"start_time": start.strftime("%Y-%m-%d %H:%M:%S +0700"), "unit": "minute", "duration": minutes},
        "callbacks": {"finish": finish_url},
        "custom_field1": request.order_reference,
    }
    if request.payment_methods:
        body["enabled_payments"] = list(request.payment_methods)
    return body


class _WithTimeout:
    """What midtransclient calls `requests` through, with a timeout on every request."""

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, url, timeout=self._timeout, **kwargs)


class MidtransProvider(PaymentProvider):
    """Pay links as Midtrans Snap transactions; notifications verified with the server key."""

    name = "midtrans"

    def __init__(
        self,
        server_key: str,
        public_base_url: str,
        snap_base: str = "https://app.midtrans.com",
        api_base: str = "https://api.midtrans.com",
        timeout_seconds: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not server_key:
            raise ValueError("Midtrans needs MIDTRANS_SERVER_KEY")
        self._server_key = server_key
        self._public_base_url = public_base_url.rstrip("/")
        self._snap_base = snap_base.rstrip("/")
        self._api_base = api_base.rstrip("/")
        self._clock = clock
        # midtransclient knows only Midtrans' own two hosts; point its "production" ones at ours.
        self._snap = midtransclient.Snap(is_production=True, server_key=server_key)
        self._snap.api_config.SNAP_PRODUCTION_BASE_URL = f"{self._snap_base}/snap/v1"
        self._snap.api_config.CORE_PRODUCTION_BASE_URL = self._api_base
        # ... and it calls `requests` without a timeout: give every call one.
        self._snap.http_client.http_client = _WithTimeout(timeout_seconds)

    def __repr__(self) -> str:  # never show the key
        return f"MidtransProvider(snap_base={self._snap_base!r}, api_base={self._api_base!r})"

    def _call(self, what: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Runs one midtransclient call; its failures as PaymentProviderError without the key."""
        try:
            answer = call()
        except requests.RequestException as error:
            raise PaymentProviderError(f"Midtrans unreachable: {type(error).__name__}") from None
        except MidtransAPIError as error:
            detail = error.api_response_dict or {}
            message = detail.get("error_messages") or detail.get("status_message") or "no detail"
            code = detail.get("status_code") or error.http_status_code
            raise PaymentProviderError(f"Midtrans {what} failed ({code}): {message}") from None
        except JSONDecodeError:
            raise PaymentProviderError(f"Midtrans {what} answered with something that is not JSON") from None
        return answer if isinstance(answer, dict) else {}

    def create_link(self, request: LinkRequest) -> CreatedLink:
        body = snap_request(request, self._clock(), f"{self._public_base_url}/payments/complete?order={request.order_reference}")
        answer = self._call("Snap transaction", lambda: self._snap.create_transaction(body))
        if not isinstance(answer.get("redirect_url"), str):
            raise PaymentProviderError("Midtrans returned no redirect_url")
        return CreatedLink(
            provider=self.name,
            provider_ref=body["transaction_details"]["order_id"],
            url=answer["redirect_url"],
            expires_at=request.expires_at,
        )

    def parse_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        return parse_notification(raw_body, self._server_key, self.name)

    def refund(self, provider_ref: str, amount_minor: int) -> RefundResult:
        amount = rupiah(amount_minor, "IDR")
        key = f"refund-{provider_ref}-{amount}"[:_MAX_ORDER_ID]
        answer = self._call("refund", lambda: self._snap.transactions.refund(
            provider_ref, {"refund_key": key, "amount": amount, "reason": "order not collectable"}))
        return RefundResult(refund_id=str(answer.get("refund_key") or key), status=str(answer.get("transaction_status") or "refund"))
