"""Linking a chat to the shopper's phone by a one-time code, so their basket and orders follow them.

A web chat (or Messenger/Telegram chat) knows no phone number. The shopper gives one, we text a six-digit
code to it, and typing the code back proves they hold the phone: the chat then belongs to the phone's
customer, the chat's basket moves into the customer's basket, and orders placed by text or WhatsApp show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.kernel import clock
from bot.ordering.cart import move_basket
from bot.identity.customers import (
    customer_key,
    link_conversation_to_phone,
    normalize_phone,
    unlink_conversation_from_phone,
)
from bot.identity.one_time_codes import CodePolicy, check_code, issue_code
from bot.kernel.unit_of_work import UnitOfWork

LINK_CODES = CodePolicy(purpose="link_phone", ttl=timedelta(minutes=10), max_attempts=5, codes_per_hour=3)
LINK_CODE_TTL = LINK_CODES.ttl
LINK_CODE_MAX_ATTEMPTS = LINK_CODES.max_attempts
LINK_CODES_PER_HOUR = LINK_CODES.codes_per_hour


@dataclass(frozen=True)
class LinkCode:
    """A code to text: `phone` is E.164, `code` goes only into the text message."""

    phone: str
    code: str


@dataclass(frozen=True)
class LinkResult:
    """Outcome of confirming a phone link: linked, invalid, expired, too_many_attempts or no_pending."""

    status: str
    customer_id: int | None = None
    phone: str | None = None
    attempts_left: int = 0

    @property
    def linked(self) -> bool:
        return self.status == "linked"


def start_phone_link(uow: UnitOfWork, conversation_id: str, phone: str, *, now: datetime | None = None) -> LinkCode:
    """Issues a one-time code proving the shopper in `conversation_id` holds `phone`.

    Earlier unused codes for the same chat stop working. Only a hash is stored.

    Raises:
        InvalidPhoneNumber: `phone` is not a phone number.
        TooManyCodes: too many codes for this chat or this phone in the last hour.
    """
    now = now or clock.now()
    issued = issue_code(uow, LINK_CODES, conversation_id, normalize_phone(phone), now)
    uow.commit()
    return LinkCode(phone=issued.phone, code=issued.code)


def confirm_phone_link(uow: UnitOfWork, conversation_id: str, code: str, *, now: datetime | None = None) -> LinkResult:
    """Checks a code from `start_phone_link` and, if right, makes the chat the phone customer's.

    The chat's basket moves into the customer's. A wrong code counts an attempt; after
    LINK_CODE_MAX_ATTEMPTS the code is dead even if later right.
    """
    now = now or clock.now()
    checked = check_code(uow, LINK_CODES, conversation_id, code, now)
    if checked.status != "accepted":
        uow.commit()  # a wrong try counts
        return LinkResult(checked.status, attempts_left=checked.attempts_left)
    customer_id, basket_to_move = link_conversation_to_phone(uow.session, conversation_id, checked.phone, now)
    if basket_to_move is not None:
        move_basket(uow, basket_to_move, customer_key(customer_id))
    uow.commit()
    return LinkResult("linked", customer_id=customer_id, phone=checked.phone)


def unlink_phone(uow: UnitOfWork, conversation_id: str, *, now: datetime | None = None) -> bool:
    """Stops a chat showing a phone's basket and orders (a shared computer, the wrong number); False if not linked."""
    unlinked = unlink_conversation_from_phone(uow.session, conversation_id, now or clock.now())
    if unlinked:
        uow.commit()
    return unlinked
