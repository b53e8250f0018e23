"""The payment provider interface: create a pay link, read a signed webhook, refund.

Providers make blocking HTTP calls. Async code must run them off the event loop, either through
`Shop.call` (services that use a provider) or `asyncio.to_thread`.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping


class InvalidSignature(Exception):
    """A webhook whose signature is missing, wrong or too old: reject it, change nothing."""


class MalformedEvent(Exception):
    """A correctly signed webhook body that is not an event we can read."""


class PaymentProviderError(Exception):
    """The provider refused or failed a request (message safe to log: no secrets)."""


class EventKind(str, enum.Enum):
    SUCCEEDED = "succeeded"  # money taken
    FAILED = "failed"  # an asynchronous payment method failed
    EXPIRED = "expired"  # the link lapsed unpaid
    PENDING = "pending"  # completed checkout whose money has not arrived yet
    IGNORED = "ignored"  # an event type we do not act on


@dataclass(frozen=True)
class LinkRequest:
    amount_minor: int
    currency: str
    order_reference: str
    expires_at: datetime
    idempotency_key: str
    description: str
    customer_ref: str | None = None
    # The market's methods, in the provider's own ids (Stripe payment_method_types, Midtrans
    # enabled_payments); empty lets the provider choose (Stripe: the dashboard's settings).
    payment_methods: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreatedLink:
    provider: str
    provider_ref: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class PaymentEvent:
    """A provider webhook, verified and reduced to what the order flow needs."""

    provider: str
    event_id: str
    event_type: str
    kind: EventKind
    provider_ref: str  # the link's id at the provider (Stripe: the Checkout Session id)
    order_reference: str | None
    amount_minor: int | None
    currency: str | None
    payment_ref: str | None = None  # Stripe: the PaymentIntent id
    card_last4: str | None = None


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    status: str


class PaymentProvider(abc.ABC):
    """What every payment provider offers the order flow."""

    name: str

    @abc.abstractmethod
    def create_link(self, request: LinkRequest) -> CreatedLink:
        """Creates (or, for a repeated idempotency key, returns again) a hosted payment link."""

    @abc.abstractmethod
    def parse_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        """Verifies the signature over the raw bytes, then parses.

        Raises:
            InvalidSignature: forged, missing or stale signature (nothing was parsed).
            MalformedEvent: signed but unreadable.
        """

    @abc.abstractmethod
    def refund(self, provider_ref: str, amount_minor: int) -> RefundResult:
        """Refunds `amount_minor` of the payment made through link `provider_ref`."""


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """Looks a header up case-insensitively in any mapping (Sanic's, a dict, httpx's)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None
