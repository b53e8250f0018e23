"""Who a shopper is across channels: customers, channel identities and phone linking.

Conversation ids (Rasa sender ids) follow one scheme everywhere: ``<channel>:<address>`` —
``sms:+447700900123``, ``whatsapp:+447700900123``, ``messenger:<PSID>``, ``instagram:<IGSID>``,
``telegram:<chat id>``. A shopper's SMS and WhatsApp are two conversations of one customer: both
identities point at the customer whose ``phone`` is the E.164 number.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.channels.types import PHONE_CHANNELS
from bot.models import ChannelIdentity, Customer, OneTimeCode
from bot.services.unit_of_work import UnitOfWork

DEFAULT_REGION = "GB"
LINK_PURPOSE = "link_phone"
LINK_CODE_TTL = timedelta(minutes=10)
LINK_CODE_MAX_ATTEMPTS = 5
WEB_CHANNEL = "webchat"  # the web chat connector's channel name

# Cheap enough for a six-digit code that also expires and locks after a few attempts.
_code_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class InvalidPhoneNumber(ValueError):
    """The text given is not a phone number we can send messages to."""


@dataclass(frozen=True)
class ChannelAddress:
    channel: str
    address: str


@dataclass(frozen=True)
class IdentityResult:
    customer_id: int
    identity_id: int
    conversation_id: str


@dataclass(frozen=True)
class LinkResult:
    """Outcome of confirming a phone link: linked, invalid, expired, too_many_attempts or no_pending."""

    status: str
    customer_id: int | None = None
    phone: str | None = None

    @property
    def linked(self) -> bool:
        return self.status == "linked"


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """Returns the E.164 form of a phone number ("07700 900123" -> "+447700900123").

    Raises:
        InvalidPhoneNumber: the text cannot be parsed or is not a possible number.
    """
    try:
        parsed = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(f"not a phone number: {raw!r}") from error
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber(f"not a possible phone number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def conversation_id_for(channel: str, address: str) -> str:
    """The Rasa sender id of a channel address (see the module docstring for the scheme)."""
    return f"{channel}:{address}"


def parse_conversation_id(conversation_id: str) -> ChannelAddress:
    """Splits ``<channel>:<address>`` back into its parts.

    Raises:
        ValueError: the id does not follow the scheme.
    """
    channel, separator, address = conversation_id.partition(":")
    if not separator or not channel or not address:
        raise ValueError(f"conversation id {conversation_id!r} is not '<channel>:<address>'")
    return ChannelAddress(channel, address)


def insert_if_absent(session: Session, model: Any, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row.

    Atomic on both databases, so two workers racing on the same key never both "win".
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


def upsert_channel_identity(
    session: Session, channel: str, address: str, *, display_name: str = "", now: datetime | None = None
) -> IdentityResult:
    """Finds or creates the customer and identity of an inbound sender; joins the caller's transaction.

    Phone channels expect `address` in E.164 and share one customer per number. `last_inbound_at`
    is set to `now` (it opens the 24-hour window on WhatsApp and Meta).
    """
    now = now or datetime.now(timezone.utc)
    identity = _find_identity(session, channel, address)
    if identity is None:
        customer_id = _customer_for_new_identity(session, channel, address, display_name)
        insert_if_absent(
            session,
            ChannelIdentity,
            {
                "customer_id": customer_id,
                "channel": channel,
                "external_id": address,
                "conversation_id": conversation_id_for(channel, address),
                "created_at": now,
            },
        )
        identity = _find_identity(session, channel, address)
        assert identity is not None  # inserted above, or by a concurrent writer
    session.execute(update(ChannelIdentity).where(ChannelIdentity.id == identity.id).values(last_inbound_at=now))
    return IdentityResult(identity.customer_id, identity.id, identity.conversation_id)


def record_inbound_identity(
    uow: UnitOfWork, channel: str, address: str, *, display_name: str = "", now: datetime | None = None
) -> IdentityResult:
    """Upserts the customer and channel identity of an inbound message and commits."""
    result = upsert_channel_identity(uow.session, channel, address, display_name=display_name, now=now)
    uow.commit()
    return result


def last_inbound_at(uow: UnitOfWork, channel: str, address: str) -> datetime | None:
    """When the shopper last wrote to us on this channel address, if ever."""
    identity = _find_identity(uow.session, channel, address)
    if identity is None or identity.last_inbound_at is None:
        return None
    return _as_utc(identity.last_inbound_at)


def start_phone_link(uow: UnitOfWork, web_conversation_id: str, phone: str, *, now: datetime | None = None) -> str:
    """Issues a one-time code proving the web shopper owns `phone`; returns the code to text them.

    Earlier unused codes for the same web conversation stop working. Only a hash is stored.

    Raises:
        InvalidPhoneNumber: `phone` is not a phone number.
    """
    now = now or datetime.now(timezone.utc)
    e164 = normalize_phone(phone)
    code = f"{secrets.randbelow(1_000_000):06d}"
    session = uow.session
    session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.purpose == LINK_PURPOSE,
            OneTimeCode.subject == web_conversation_id,
            OneTimeCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    session.add(
        OneTimeCode(
            purpose=LINK_PURPOSE,
            subject=web_conversation_id,
            phone=e164,
            code_hash=_code_hasher.hash(code),
            expires_at=now + LINK_CODE_TTL,
            attempts=0,
        )
    )
    uow.commit()
    return code


def confirm_phone_link(
    uow: UnitOfWork, web_conversation_id: str, code: str, *, now: datetime | None = None
) -> LinkResult:
    """Checks a code from `start_phone_link` and, if right, links the web conversation to the phone's customer.

    A wrong code counts an attempt; after LINK_CODE_MAX_ATTEMPTS the code is dead even if later right.
    """
    now = now or datetime.now(timezone.utc)
    session = uow.session
    pending = session.scalars(
        select(OneTimeCode)
        .where(
            OneTimeCode.purpose == LINK_PURPOSE,
            OneTimeCode.subject == web_conversation_id,
            OneTimeCode.used_at.is_(None),
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    ).first()
    if pending is None:
        return LinkResult("no_pending")
    if _as_utc(pending.expires_at) <= now:
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
        uow.commit()
        return LinkResult("invalid")
    session.execute(update(OneTimeCode).where(OneTimeCode.id == pending.id).values(used_at=now))
    customer_id = _link_web_conversation(session, web_conversation_id, pending.phone, now)
    uow.commit()
    return LinkResult("linked", customer_id=customer_id, phone=pending.phone)


def _code_matches(code_hash: str, code: str) -> bool:
    try:
        return _code_hasher.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False


def _link_web_conversation(session: Session, web_conversation_id: str, phone: str, now: datetime) -> int:
    customer_id = _customer_by_phone(session, phone, display_name="")
    identity = _find_identity(session, WEB_CHANNEL, web_conversation_id)
    if identity is None:
        insert_if_absent(
            session,
            ChannelIdentity,
            {
                "customer_id": customer_id,
                "channel": WEB_CHANNEL,
                "external_id": web_conversation_id,
                "conversation_id": web_conversation_id,
                "created_at": now,
            },
        )
    session.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.channel == WEB_CHANNEL, ChannelIdentity.external_id == web_conversation_id)
        .values(customer_id=customer_id)
    )
    return customer_id


def _find_identity(session: Session, channel: str, address: str) -> ChannelIdentity | None:
    return session.scalars(
        select(ChannelIdentity).where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == address)
    ).first()


def _customer_for_new_identity(session: Session, channel: str, address: str, display_name: str) -> int:
    if channel in PHONE_CHANNELS:
        return _customer_by_phone(session, address, display_name)
    customer = Customer(display_name=display_name, created_at=datetime.now(timezone.utc))
    session.add(customer)
    session.flush()
    return int(customer.id)


def _customer_by_phone(session: Session, phone: str, display_name: str) -> int:
    insert_if_absent(
        session, Customer, {"phone": phone, "display_name": display_name, "created_at": datetime.now(timezone.utc)}
    )
    customer_id = session.scalars(select(Customer.id).where(Customer.phone == phone)).one()
    return int(customer_id)


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; they were written as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
