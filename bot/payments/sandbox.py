"""The embedded payment provider: a pay page on the bot server, webhooks signed exactly like Stripe's.

The whole pay-by-link flow (link, page, signed webhook, refund) runs on one machine with no account
anywhere. Its events are Stripe-shaped `checkout.session.*` JSON, parsed by the same code as Stripe's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Callable, Mapping

from bot.payments import stripe_signature
from bot.payments.base import (
    CreatedLink,
    LinkRequest,
    PaymentEvent,
    PaymentProvider,
    RefundResult,
    header_value,
)
from bot.payments.midtrans import parse_notification, rupiah, signature_key
from bot.payments.stripe import parse_checkout_event

TOKEN_PREFIX = "cs_sandbox_"
MIDTRANS_TOKEN_PREFIX = "mt_sandbox_"
# Stripe's documented test cards; any other number is refused as "not a test card".
SUCCEEDING_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


def card_outcome(card_number: str) -> str:
    """"succeeded", "declined" or "invalid" for a typed card number (spaces and dashes ignored)."""
    digits = "".join(ch for ch in card_number if ch.isdigit())
    if digits == SUCCEEDING_CARD:
        return "succeeded"
    if digits == DECLINED_CARD:
        return "declined"
    return "invalid"


def last4(card_number: str) -> str:
    return "".join(ch for ch in card_number if ch.isdigit())[-4:]


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def __init__(self, webhook_secret: str, public_base_url: str, clock: Callable[[], float] = time.time) -> None:
        if not webhook_secret:
            raise ValueError("the sandbox provider needs SANDBOX_WEBHOOK_SECRET to sign its webhooks")
        self._secret = webhook_secret
        self._public_base_url = public_base_url.rstrip("/")
        self._clock = clock

    def __repr__(self) -> str:
        return f"SandboxProvider(public_base_url={self._public_base_url!r})"

    def _token(self, idempotency_key: str) -> str:
        # Derived, not random: the same idempotency key yields the same link, like Stripe's replay.
        digest = hmac.new(self._secret.encode(), idempotency_key.encode(), hashlib.sha256).hexdigest()
        return f"{TOKEN_PREFIX}{digest[:32]}"

    def create_link(self, request: LinkRequest) -> CreatedLink:
        token = self._token(request.idempotency_key)
        return CreatedLink(
            provider=self.name,
            provider_ref=token,
            url=f"{self._public_base_url}/pay/{token}",
            expires_at=request.expires_at,
        )

    def checkout_event(
        self,
        event_type: str,
        provider_ref: str,
        order_reference: str,
        amount_minor: int,
        currency: str,
        card_last4: str | None = None,
        payment_status: str = "paid",
    ) -> tuple[bytes, dict[str, str]]:
        """A Stripe-shaped event about a sandbox session, and the headers that sign it.

        Only the card's last four digits ever go into the event.
        """
        created = int(self._clock())
        metadata = {"order_reference": order_reference}
        if card_last4:
            metadata["card_last4"] = card_last4
        event = {
            "id": f"evt_sandbox_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": created,
            "livemode": False,
            "type": event_type,
            "data": {
                "object": {
                    "id": provider_ref,
                    "object": "checkout.session",
                    "mode": "payment",
                    "amount_total": amount_minor,
                    "currency": currency.lower(),
                    "client_reference_id": order_reference,
                    "metadata": metadata,
                    "payment_intent": f"pi_{provider_ref}",
                    "payment_status": payment_status,
                    "status": "expired" if event_type == "checkout.session.expired" else "complete",
                }
            },
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            stripe_signature.SIGNATURE_HEADER: stripe_signature.sign(self._secret, body, created),
        }
        return body, headers

    def parse_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        stripe_signature.verify(raw_body, header_value(headers, stripe_signature.SIGNATURE_HEADER), self._secret)
        return parse_checkout_event(raw_body, self.name)

    def refund(self, provider_ref: str, amount_minor: int) -> RefundResult:
        return RefundResult(refund_id=f"re_sandbox_{secrets.token_hex(8)}", status="succeeded")


class SandboxMidtransProvider(PaymentProvider):
    """Imitates Midtrans Snap for markets whose provider is Midtrans: links to the same pay page, and
    notifications shaped and signed exactly as Midtrans' (SHA512 with the sandbox secret as server key),
    read back by the real Midtrans parser.
    """

    name = "sandbox_midtrans"

    def __init__(self, server_key: str, public_base_url: str) -> None:
        if not server_key:
            raise ValueError("the sandbox needs SANDBOX_WEBHOOK_SECRET to sign its notifications")
        self._key = server_key
        self._public_base_url = public_base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"SandboxMidtransProvider(public_base_url={self._public_base_url!r})"

    def create_link(self, request: LinkRequest) -> CreatedLink:
        rupiah(request.amount_minor, request.currency)  # refuses what real Midtrans would
        digest = hmac.new(self._key.encode(), request.idempotency_key.encode(), hashlib.sha256).hexdigest()
        token = f"{MIDTRANS_TOKEN_PREFIX}{digest[:32]}"
        return CreatedLink(self.name, token, f"{self._public_base_url}/pay/{token}", request.expires_at)

    def notification(
        self, provider_ref: str, order_reference: str, amount_minor: int, transaction_status: str, payment_type: str,
        card_last4: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A Midtrans-shaped notification about a sandbox link, signed as Midtrans signs."""
        status_code = {"settlement": "200", "capture": "200", "pending": "201", "expire": "407"}.get(transaction_status, "202")
        gross_amount = f"{rupiah(amount_minor, 'IDR')}.00"
        note = {
            "transaction_time": time.strftime("%Y-%m-%d %H:%M:%S"),
            "transaction_status": transaction_status,
            "transaction_id": f"sandbox-{secrets.token_hex(8)}",
            "status_message": "midtrans payment notification",
            "status_code": status_code,
            "signature_key": signature_key(provider_ref, status_code, gross_amount, self._key),
            "payment_type": "bank_transfer" if payment_type.endswith("_va") else payment_type,  # as Midtrans names VAs
            "order_id": provider_ref,
            "merchant_id": "SANDBOX",
            "gross_amount": gross_amount,
            "fraud_status": "accept",
            "currency": "IDR",
            "custom_field1": order_reference,
        }
        if card_last4:
            note["masked_card"] = f"481111-{card_last4}"
        return json.dumps(note).encode(), {"Content-Type": "application/json"}

    def parse_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        return parse_notification(raw_body, self._key, self.name)

    def refund(self, provider_ref: str, amount_minor: int) -> RefundResult:
        return RefundResult(refund_id=f"refund-{provider_ref}", status="refund")


def is_sandbox_token(token: str) -> bool:
    return token.startswith((TOKEN_PREFIX, MIDTRANS_TOKEN_PREFIX)) and 0 < len(token) <= 120


def sandbox_provider_of(token: str) -> str:
    """Which sandbox provider made a pay-page token."""
    return SandboxMidtransProvider.name if token.startswith(MIDTRANS_TOKEN_PREFIX) else SandboxProvider.name

