"""Linking a chat to the shopper's phone by a one-time code, so their basket and orders follow them.

A web chat (or Messenger/Telegram chat) knows no phone number. The shopper gives one, we text a six-digit
code to it, and typing the code back proves they hold the phone: the chat then belongs to the phone's
customer, the chat's basket moves into the customer's basket, and orders placed by text or WhatsApp show.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select, update

from bot.models import OneTimeCode
from bot.services.cart import move_basket
from bot.services.identity import (
    as_utc,
    customer_key,
    link_conversation_to_phone,
    normalize_phone,
    unlink_conversation_from_phone,
)
from bot.services.unit_of_work import UnitOfWork

LINK_PURPOSE = "link_phone"
LINK_CODE_TTL = timedelta(minutes=10)
LINK_CODE_MAX_ATTEMPTS = 5
# Texting codes costs money and can annoy a stranger whose number was typed: cap both sides.
LINK_CODES_PER_HOUR = 3

# Cheap enough for a six-digit code that also expires and locks after a few attempts.
_code_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class TooManyLinkCodes(Exception):
    """This chat, or this phone, had LINK_CODES_PER_HOUR codes in the last hour."""


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
        TooManyLinkCodes: too many codes for this chat or this phone in the last hour.
    """
    now = now or datetime.now(timezone.utc)
    e164 = normalize_phone(phone)
    session = uow.session
    issued_last_hour = session.scalar(
        select(func.count())
        .select_from(OneTimeCode)
        .where(
            OneTimeCode.purpose == LINK_PURPOSE,
            or_(OneTimeCode.subject == conversation_id, OneTimeCode.phone == e164),
            OneTimeCode.expires_at > now - timedelta(hours=1) + LINK_CODE_TTL,
        )
    )
    if issued_last_hour >= LINK_CODES_PER_HOUR:
        raise TooManyLinkCodes()
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.purpose == LINK_PURPOSE,
            OneTimeCode.subject == conversation_id,
            OneTimeCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    session.add(
        OneTimeCode(
            purpose=LINK_PURPOSE,
            subject=conversation_id,
            phone=e164,
            code_hash=_code_hasher.hash(code),
            expires_at=now + LINK_CODE_TTL,
            attempts=0,
        )
    )
    uow.commit()
    return LinkCode(phone=e164, code=code)


def confirm_phone_link(uow: UnitOfWork, conversation_id: str, code: str, *, now: datetime | None = None) -> LinkResult:
    """Checks a code from `start_phone_link` and, if right, makes the chat the phone customer's.

    The chat's basket moves into the customer's. A wrong code counts an attempt; after
    LINK_CODE_MAX_ATTEMPTS the code is dead even if later right.
    """
    now = now or datetime.now(timezone.utc)
    session = uow.session
    pending = session.scalars(
        select(OneTimeCode)
        .where(
            OneTimeCode.purpose == LINK_PURPOSE,
            OneTimeCode.subject == conversation_id,
            OneTimeCode.used_at.is_(None),
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    ).first()
    if pending is None:
        return LinkResult("no_pending")
    if as_utc(pending.expires_at) <= now:
        return LinkResult("expired")
    if pending.attempts >= LINK_CODE_MAX_ATTEMPTS:
        return LinkResult("too_many_attempts")
    # Count the attempt with a conditional UPDATE so parallel guesses cannot exceed the limit.
    counted = session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.id == pending.id, OneTimeCode.attempts < LINK_CODE_MAX_ATTEMPTS)
        .values(attempts=OneTimeCode.attempts + 1)
    )
    if counted.rowcount != 1:
        uow.commit()
        return LinkResult("too_many_attempts")
    if not _code_matches(pending.code_hash, code.strip()):
        attempts = session.scalar(select(OneTimeCode.attempts).where(OneTimeCode.id == pending.id))
        uow.commit()
        attempts_left = LINK_CODE_MAX_ATTEMPTS - int(attempts)
        return LinkResult("invalid", attempts_left=attempts_left) if attempts_left > 0 else LinkResult("too_many_attempts")
    session.execute(update(OneTimeCode).where(OneTimeCode.id == pending.id).values(used_at=now))
    customer_id, basket_to_move = link_conversation_to_phone(session, conversation_id, pending.phone, now)
    if basket_to_move is not None:
        move_basket(uow, basket_to_move, customer_key(customer_id))
    uow.commit()
    return LinkResult("linked", customer_id=customer_id, phone=pending.phone)


def unlink_phone(uow: UnitOfWork, conversation_id: str, *, now: datetime | None = None) -> bool:
    """Stops a chat showing a phone's basket and orders (a shared computer, the wrong number); False if not linked."""
    unlinked = unlink_conversation_from_phone(uow.session, conversation_id, now or datetime.now(timezone.utc))
    if unlinked:
        uow.commit()
    return unlinked


def _code_matches(code_hash: str, code: str) -> bool:
    try:
        return _code_hasher.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False
