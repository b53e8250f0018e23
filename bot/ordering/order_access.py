"""Who may read an order: the conversation that placed it, its customer, or a chat that proved it holds
the order's phone with a texted code (a shopper who ordered by SMS and asks on Telegram, say)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.kernel import audit, clock
from bot.ordering.rules import (
    NotYourOrder,
    TooManyAttempts,
    VerificationExpired,
    VerificationFailed,
    VerificationUnavailable,
)
from bot.identity.customers import customer_of_conversation
from bot.identity.one_time_codes import CodePolicy, TooManyCodes, check_code, issue_code, used_since
from bot.ordering.orders import OrderSummary, find_order, summarise
from bot.kernel.unit_of_work import UnitOfWork

ORDER_CODES = CodePolicy(purpose="order_access", ttl=timedelta(minutes=10), max_attempts=5, codes_per_hour=5)
# How long a conversation that proved ownership with a code may keep reading the order.
VERIFICATION_GRANT = timedelta(hours=24)


@dataclass(frozen=True)
class VerificationStarted:
    """A code to send by SMS to `send_to`; only its hash is stored."""

    reference: str
    send_to: str
    masked_phone: str
    code: str
    expires_at: datetime


def get_order_for(
    uow: UnitOfWork, reference: str, conversation_id: str, customer_id: int | None = None, now: datetime | None = None
) -> OrderSummary:
    """The order, if this conversation or customer placed it or proved ownership with a code.

    Raises:
        OrderNotFound; NotYourOrder (`can_verify` says whether a code can be sent to the order's phone).
    """
    now = now or clock.now()
    order = find_order(uow, reference)
    if customer_id is None:
        customer_id = customer_of_conversation(uow.session, conversation_id)
    if order.conversation_id == conversation_id or (customer_id is not None and order.customer_id == customer_id):
        return summarise(uow, order)
    if used_since(uow, ORDER_CODES, _subject(order.reference, conversation_id), now - VERIFICATION_GRANT):
        return summarise(uow, order)
    raise NotYourOrder(order.reference, can_verify=bool(order.contact_phone))


def start_order_verification(
    uow: UnitOfWork, reference: str, conversation_id: str, now: datetime | None = None
) -> VerificationStarted:
    """Creates a one-time code proving ownership of an order from another channel.

    The caller texts `code` to `send_to` (the order's contact phone) and tells the shopper only the
    masked number.

    Raises:
        OrderNotFound; VerificationUnavailable: no contact phone; TooManyAttempts: too many codes lately.
    """
    now = now or clock.now()
    order = find_order(uow, reference)
    if not order.contact_phone:
        raise VerificationUnavailable(order.reference)
    try:
        issued = issue_code(uow, ORDER_CODES, _subject(order.reference, conversation_id), order.contact_phone, now)
    except TooManyCodes:
        raise TooManyAttempts() from None
    uow.commit()
    return VerificationStarted(
        reference=order.reference,
        send_to=issued.phone,
        masked_phone=f"{'•' * max(len(issued.phone) - 4, 0)}{issued.phone[-4:]}",
        code=issued.code,
        expires_at=issued.expires_at,
    )


def confirm_order_verification(
    uow: UnitOfWork, reference: str, conversation_id: str, code: str, now: datetime | None = None
) -> OrderSummary:
    """Checks a code from `start_order_verification`; on success this conversation may read the order.

    Raises:
        OrderNotFound; VerificationExpired: no live code; TooManyAttempts: the code is burnt;
        VerificationFailed: wrong code (`attempts_left` says how many tries remain).
    """
    now = now or clock.now()
    order = find_order(uow, reference)
    checked = check_code(uow, ORDER_CODES, _subject(order.reference, conversation_id), code, now)
    if checked.status == "accepted":
        audit.record(uow, actor="shopper", action="order_access_verified", now=now, order=order)
    uow.commit()  # a wrong try counts even though we raise
    if checked.status in ("no_pending", "expired"):
        raise VerificationExpired()
    if checked.status == "too_many_attempts":
        raise TooManyAttempts()
    if checked.status == "invalid":
        raise VerificationFailed(checked.attempts_left)
    return summarise(uow, order)


def _subject(reference: str, conversation_id: str) -> str:
    # The conversation id can be a phone number: only a digest of it goes into the codes table.
    return f"{reference}@{hashlib.sha256(conversation_id.encode()).hexdigest()[:40]}"
