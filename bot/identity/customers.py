"""Who a shopper is across channels: customers and their channel identities.

Conversation ids (Rasa sender ids) follow one scheme everywhere: ``<channel>:<address>`` —
``sms:+447700900123``, ``whatsapp:+447700900123``, ``messenger:<PSID>``, ``instagram:<IGSID>``,
``telegram:<chat id>``. A shopper's SMS and WhatsApp are two conversations of one customer: both
identities point at the customer whose ``phone`` is the E.164 number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from sqlalchemy import String, cast, func, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.kernel import clock
from bot.kernel.card_masking import mask_card_numbers
from bot.kernel.db import insert_if_absent
from bot.kernel.models import ChannelIdentity, Customer
from bot.kernel.unit_of_work import UnitOfWork

# Channels whose address is a phone number: STOP on one of them silences the number everywhere, and
# every phone channel of one number is one customer.
PHONE_CHANNELS = frozenset({"sms", "whatsapp"})

DEFAULT_REGION = "GB"
# Ofcom keeps 07700 900000-900999 for drama and testing: never assigned to anyone, so phonenumbers'
# metadata does not call them valid, but demos and tests may use them as shoppers' numbers.
_FICTITIOUS_UK_MOBILES = ("+447700900",)
WEB_CHANNEL = "webchat"  # the web chat connector's channel name


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


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """Returns the E.164 form of a phone number ("07700 900123" -> "+447700900123").

    Raises:
        InvalidPhoneNumber: the text cannot be parsed or is not a number of an assigned range.
    """
    try:
        parsed = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(f"not a phone number: {mask_card_numbers(raw[:40])!r}") from error
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    # is_possible_number only checks the length: a card number ("4242 4242 4242 4242") passed it and
    # link codes were texted to "+444242...". is_valid_number checks the number plan's ranges.
    fictitious = e164.startswith(_FICTITIOUS_UK_MOBILES) and len(e164) == 13
    if not (phonenumbers.is_valid_number(parsed) or fictitious):
        # Masked: this message is logged, and what was typed may well be a card number.
        raise InvalidPhoneNumber(f"not a valid phone number: {mask_card_numbers(raw[:40])!r}")
    return e164


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


def upsert_channel_identity(
    session: Session, channel: str, address: str, *, display_name: str = "", now: datetime | None = None
) -> IdentityResult:
    """Finds or creates the customer and identity of an inbound sender; joins the caller's transaction.

    Phone channels expect `address` in E.164 and share one customer per number. `last_inbound_at`
    is set to `now` (it opens the 24-hour window on WhatsApp and Meta).
    """
    now = now or clock.now()
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
    return clock.as_utc(identity.last_inbound_at)


def customer_of_conversation(session: Session, conversation_id: str) -> int | None:
    """The customer behind a conversation, if the conversation has an identity (every channel but an unlinked web chat)."""
    customer_id = session.scalars(
        select(ChannelIdentity.customer_id).where(ChannelIdentity.conversation_id == conversation_id).limit(1)
    ).first()
    return int(customer_id) if customer_id is not None else None


def shopper_key(session: Session, conversation_id: str) -> str:
    """Who owns a basket: the customer when the conversation has one, else the conversation itself.

    Keying baskets by customer is what lets a basket started on SMS show up on WhatsApp or in a linked web chat.
    """
    customer_id = customer_of_conversation(session, conversation_id)
    return customer_key(customer_id) if customer_id is not None else conversation_id


def customer_key(customer_id: int) -> str:
    return f"customer:{customer_id}"


def conversation_customer_sql(conversation_id: str | ColumnElement) -> ColumnElement:
    """customer_of_conversation as a scalar subquery, for a read that needs it in the same statement."""
    identities = ChannelIdentity.__table__
    return (
        select(identities.c.customer_id).where(identities.c.conversation_id == conversation_id).limit(1).scalar_subquery()
    )


def shopper_key_sql(conversation_id: str | ColumnElement) -> ColumnElement:
    """shopper_key as SQL (the customer_key format when there is a customer), so a read finds the basket in one statement."""
    customer = conversation_customer_sql(conversation_id)
    conversation = conversation_id if isinstance(conversation_id, ColumnElement) else literal(conversation_id, String)
    return func.coalesce(literal("customer:", String) + cast(customer, String), conversation)


def contact_phone_for(session: Session, conversation_id: str) -> str | None:
    """The phone to text about this conversation's orders: its own number on SMS/WhatsApp, else a linked phone."""
    try:
        parsed = parse_conversation_id(conversation_id)
    except ValueError:  # web chat ids carry no address
        parsed = None
    if parsed is not None and parsed.channel in PHONE_CHANNELS:
        return parsed.address
    customer_id = customer_of_conversation(session, conversation_id)
    return _customer_phone(session, customer_id) if customer_id is not None else None


def link_conversation_to_phone(
    session: Session, conversation_id: str, phone: str, now: datetime
) -> tuple[int, str | None]:
    """Points the conversation's identity at the phone's customer (creating both as needed); joins the caller's transaction.

    Returns the customer id, and the basket key the chat used before if that basket was the chat's own (an
    unlinked chat, or a Messenger/Telegram customer without a phone), so the caller can move it. A chat that
    was linked to another phone before leaves that phone's basket where it is.
    """
    previous_customer = customer_of_conversation(session, conversation_id)
    if previous_customer is None:
        basket_to_move: str | None = conversation_id
    else:
        basket_to_move = None if _customer_phone(session, previous_customer) else customer_key(previous_customer)
    customer_id = _customer_by_phone(session, phone, display_name="")
    if _conversation_identity(session, conversation_id) is None:  # an unlinked web chat has no identity yet
        insert_if_absent(
            session,
            ChannelIdentity,
            {
                "customer_id": customer_id,
                "channel": WEB_CHANNEL,
                "external_id": conversation_id,
                "conversation_id": conversation_id,
                "created_at": now,
            },
        )
    session.execute(
        update(ChannelIdentity).where(ChannelIdentity.conversation_id == conversation_id).values(customer_id=customer_id)
    )
    return customer_id, basket_to_move


def unlink_conversation_from_phone(session: Session, conversation_id: str, now: datetime) -> bool:
    """Undoes a phone link for a web, Messenger or Telegram chat; joins the caller's transaction.

    The phone's basket and orders stay with the phone: a web chat becomes anonymous again, a Messenger or
    Telegram chat gets a customer of its own. Returns False when the chat was not linked to a phone (SMS
    and WhatsApp conversations are their phone and cannot be unlinked).
    """
    identity = _conversation_identity(session, conversation_id)
    if identity is None or identity.channel in PHONE_CHANNELS or not _customer_phone(session, identity.customer_id):
        return False
    if identity.channel == WEB_CHANNEL:
        session.delete(identity)
    else:
        identity.customer_id = _new_customer(session, display_name="", now=now)
    session.flush()
    return True


def _conversation_identity(session: Session, conversation_id: str) -> ChannelIdentity | None:
    return session.scalars(
        select(ChannelIdentity).where(ChannelIdentity.conversation_id == conversation_id).limit(1)
    ).first()


def _customer_phone(session: Session, customer_id: int) -> str | None:
    return session.scalars(select(Customer.phone).where(Customer.id == customer_id)).first()


def _new_customer(session: Session, display_name: str, now: datetime) -> int:
    """A customer without a phone (a Messenger, Instagram or Telegram shopper until they link one)."""
    customer = Customer(display_name=display_name, created_at=now)
    session.add(customer)
    session.flush()
    return int(customer.id)


def _find_identity(session: Session, channel: str, address: str) -> ChannelIdentity | None:
    return session.scalars(
        select(ChannelIdentity).where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == address)
    ).first()


def _customer_for_new_identity(session: Session, channel: str, address: str, display_name: str) -> int:
    if channel in PHONE_CHANNELS:
        return _customer_by_phone(session, address, display_name)
    return _new_customer(session, display_name, clock.now())


def _customer_by_phone(session: Session, phone: str, display_name: str) -> int:
    insert_if_absent(
        session, Customer, {"phone": phone, "display_name": display_name, "created_at": clock.now()}
    )
    customer_id = session.scalars(select(Customer.id).where(Customer.phone == phone)).one()
    return int(customer_id)

