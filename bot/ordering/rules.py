"""Click-and-collect orders: the status state machine, pickup codes, references and domain errors.

Statuses only move forward. A transition that already happened is a no-op (webhooks and staff clicks
arrive more than once); a transition that would move an order backwards is refused. A payment that
arrives for an order that can no longer take it (cancelled or expired) is recorded and refunded,
never used to bring the order back.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass

# Letters and digits a shopper cannot misread on a phone screen or over a counter: no 0/O, 1/I/L.
UNAMBIGUOUS_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PICKUP_CODE_LENGTH = 6
REFERENCE_BODY_LENGTH = 6
DEFAULT_REFERENCE_PREFIX = "FS"
# An order reference as a shopper writes it in a message ("FS-7K2M9Q", "fs 7k2m9q"); group 1 is the body.
REFERENCE_IN_TEXT = re.compile(
    rf"\b{DEFAULT_REFERENCE_PREFIX}[-\s]?([{UNAMBIGUOUS_ALPHABET}]{{{REFERENCE_BODY_LENGTH}}})\b", re.IGNORECASE
)


class OrderStatus(str, enum.Enum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    READY = "ready"
    COLLECTED = "collected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class PaymentMethod(str, enum.Enum):
    LINK = "link"
    AT_PICKUP = "at_pickup"


# How far along the happy path each status is; a transition never goes to a lower rank.
_RANK = {
    OrderStatus.PENDING_PAYMENT: 0,
    OrderStatus.PAID: 1,
    OrderStatus.READY: 2,
    OrderStatus.COLLECTED: 3,
    OrderStatus.CANCELLED: 3,
    OrderStatus.EXPIRED: 3,
}

TERMINAL_STATUSES = frozenset({OrderStatus.COLLECTED, OrderStatus.CANCELLED, OrderStatus.EXPIRED})
# Statuses whose stock is still held on the shelf for the shopper.
HOLDING_STATUSES = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.READY})
# The statuses a shopper can still cancel (as status strings): the stock is still held for them.
CANCELLABLE = frozenset(status.value for status in HOLDING_STATUSES)

_ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset(
        {OrderStatus.PAID, OrderStatus.READY, OrderStatus.CANCELLED, OrderStatus.EXPIRED}
    ),
    OrderStatus.PAID: frozenset({OrderStatus.READY, OrderStatus.CANCELLED}),
    OrderStatus.READY: frozenset({OrderStatus.COLLECTED, OrderStatus.CANCELLED}),
    OrderStatus.COLLECTED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
}


class TransitionVerdict(str, enum.Enum):
    APPLY = "apply"
    ALREADY_DONE = "already_done"
    REFUSED = "refused"


# --- errors -----------------------------------------------------------------------------------------


class OrderError(Exception):
    """Base of every order, cart and payment-flow error the dialogue can explain to a shopper."""


class OutOfStock(OrderError):
    def __init__(self, sku: str, available: int) -> None:
        super().__init__(f"only {max(available, 0)} of {sku} available")
        self.sku = sku
        self.available = max(available, 0)


class EmptyCart(OrderError):
    def __init__(self) -> None:
        super().__init__("the cart is empty")


class UnknownSku(OrderError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"no product with SKU {sku!r}")
        self.sku = sku


class InvalidQuantity(OrderError):
    def __init__(self, quantity: object, maximum: int) -> None:
        super().__init__(f"quantity must be a whole number from 1 to {maximum}, got {quantity!r}")
        self.quantity = quantity
        self.maximum = maximum


class NotInCart(OrderError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"{sku} is not in the cart")
        self.sku = sku


class MixedCurrencies(OrderError):
    def __init__(self, currencies: set[str]) -> None:
        super().__init__(f"one order cannot mix currencies: {', '.join(sorted(currencies))}")
        self.currencies = currencies


class PaymentMethodNotOffered(OrderError):
    def __init__(self, store_id: str, payment_method: str) -> None:
        super().__init__(f"store {store_id!r} does not offer payment method {payment_method!r}")
        self.store_id = store_id
        self.payment_method = payment_method


class OrderNotFound(OrderError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"no order {reference!r}")
        self.reference = reference


class NotYourOrder(OrderError):
    """The order exists but this conversation or customer has not shown it is theirs."""

    def __init__(self, reference: str, can_verify: bool) -> None:
        super().__init__(f"order {reference} belongs to someone else")
        self.reference = reference
        self.can_verify = can_verify


class InvalidTransition(OrderError):
    def __init__(self, reference: str, current: str, target: str) -> None:
        super().__init__(f"order {reference} is {current} and cannot become {target}")
        self.reference = reference
        self.current = current
        self.target = target


class OrderNotPayable(OrderError):
    def __init__(self, reference: str, reason: str) -> None:
        super().__init__(f"order {reference} cannot be paid by link: {reason}")
        self.reference = reference
        self.reason = reason


class VerificationUnavailable(OrderError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"order {reference} has no contact phone to send a code to")
        self.reference = reference


class VerificationFailed(OrderError):
    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"that code is not right ({attempts_left} tries left)")
        self.attempts_left = attempts_left


class VerificationExpired(OrderError):
    def __init__(self) -> None:
        super().__init__("there is no live code; ask for a new one")


class TooManyAttempts(OrderError):
    def __init__(self) -> None:
        super().__init__("too many attempts; ask for a new code later")


# --- the state machine ------------------------------------------------------------------------------


def judge_transition(current: OrderStatus | str, target: OrderStatus | str, payment_method: str) -> TransitionVerdict:
    """Decides whether an order may move from `current` to `target`.

    Args:
        current: the order's status now.
        target: the status asked for.
        payment_method: "link" or "at_pickup"; only pay-at-pickup orders go ready without paying.

    Returns:
        APPLY when the move is allowed, ALREADY_DONE when the order is already there (a repeat),
        REFUSED when the move would skip payment or go backwards.
    """
    current, target = OrderStatus(current), OrderStatus(target)
    if current == target:
        return TransitionVerdict.ALREADY_DONE
    if target not in _ALLOWED[current]:
        return TransitionVerdict.REFUSED
    if (current, target) == (OrderStatus.PENDING_PAYMENT, OrderStatus.READY):
        if PaymentMethod(payment_method) != PaymentMethod.AT_PICKUP:
            return TransitionVerdict.REFUSED
    return TransitionVerdict.APPLY


class PaymentDisposition(str, enum.Enum):
    """What to do with money that arrived for an order."""

    APPLY = "apply"  # the order was waiting for it: mark paid
    DUPLICATE = "duplicate"  # the order is already paid by this payment: nothing to do
    REFUND = "refund"  # the order cannot take it (expired, cancelled, already paid elsewhere)


def judge_payment(status: OrderStatus | str, already_paid_by_this_link: bool) -> PaymentDisposition:
    """Decides what a successful payment means for an order in `status`."""
    status = OrderStatus(status)
    if status == OrderStatus.PENDING_PAYMENT:
        return PaymentDisposition.APPLY
    if status in (OrderStatus.PAID, OrderStatus.READY, OrderStatus.COLLECTED) and already_paid_by_this_link:
        return PaymentDisposition.DUPLICATE
    # Expired, cancelled, or a second payment for an order already paid through another link.
    return PaymentDisposition.REFUND


def rank(status: OrderStatus | str) -> int:
    """How far along an order is (0 = awaiting payment, 3 = finished one way or another)."""
    return _RANK[OrderStatus(status)]


# --- codes ------------------------------------------------------------------------------------------


def _random_code(length: int) -> str:
    return "".join(secrets.choice(UNAMBIGUOUS_ALPHABET) for _ in range(length))


def new_pickup_code() -> str:
    """A 6-character code the shopper shows at the counter, e.g. "7K2M9Q"."""
    return _random_code(PICKUP_CODE_LENGTH)


def new_order_reference(prefix: str = DEFAULT_REFERENCE_PREFIX) -> str:
    """A short order reference such as "FS-7K2M9Q" (fits Order.reference, 16 characters)."""
    return f"{prefix}-{_random_code(REFERENCE_BODY_LENGTH)}"


def normalise_reference(raw: str) -> str:
    """Reads a reference as a shopper types it: " fs 7k2m9q " -> "FS-7K2M9Q"."""
    compact = "".join(ch for ch in raw.upper() if ch.isalnum())
    if len(compact) > REFERENCE_BODY_LENGTH:
        return f"{compact[:-REFERENCE_BODY_LENGTH]}-{compact[-REFERENCE_BODY_LENGTH:]}"
    return compact


def pickup_codes_match(expected: str, typed: str) -> bool:
    """Compares a typed pickup code with the order's, ignoring case and spaces (constant time)."""
    compact = "".join(ch for ch in typed.upper() if ch.isalnum())
    return secrets.compare_digest(expected.upper().encode(), compact.encode())


@dataclass(frozen=True)
class HoldPolicy:
    """How long stock stays on the shelf for an order.

    Attributes:
        unpaid_minutes: an order awaiting a pay-by-link payment expires after this long.
        paid_hours: a paid (or pay-at-pickup) order is held for collection this long.
    """

    unpaid_minutes: int = 120
    paid_hours: int = 72

    def __post_init__(self) -> None:
        if self.unpaid_minutes <= 0 or self.paid_hours <= 0:
            raise ValueError("hold durations must be positive")

    @classmethod
    def from_settings(cls, settings: object) -> "HoldPolicy":
        """Builds the policy from `bot.kernel.config.Settings` (hold_minutes_unpaid, hold_hours_paid)."""
        return cls(
            unpaid_minutes=int(getattr(settings, "hold_minutes_unpaid")),
            paid_hours=int(getattr(settings, "hold_hours_paid")),
        )
