"""Tables of shoppers and their channels: customers, channel identities, opt-outs, one-time codes, the transcript and outbound messages."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint

from bot.kernel import clock
from bot.kernel.models.base import Base, BigId, ts


class Customer(Base):
    __tablename__ = "customers"

    id = Column(BigId, primary_key=True, autoincrement=True)
    display_name = Column(String(120), nullable=False, default="")
    phone = Column(String(20), unique=True)
    created_at = ts(nullable=False, default=clock.now)


class ChannelIdentity(Base):
    """How a customer is known on one channel: E.164 phone, Messenger PSID, Telegram id, web session."""

    __tablename__ = "channel_identities"

    id = Column(BigId, primary_key=True, autoincrement=True)
    customer_id = Column(BigId, ForeignKey("customers.id"), nullable=False, index=True)
    channel = Column(String(20), nullable=False)
    external_id = Column(String(120), nullable=False)
    conversation_id = Column(String(160), nullable=False, index=True)
    last_inbound_at = ts()
    created_at = ts(nullable=False, default=clock.now)

    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_channel_identities_channel_external"),)


class PhoneOptOut(Base):
    """A phone number that texted STOP: nothing is sent to it from any part of the system."""

    __tablename__ = "phone_opt_outs"

    phone = Column(String(20), primary_key=True)
    opted_out_at = ts(nullable=False, default=clock.now)
    keyword = Column(String(20), nullable=False)


class InboundDelivery(Base):
    """Provider message ids already handled, so a retried webhook is answered once."""

    __tablename__ = "inbound_deliveries"

    channel = Column(String(20), primary_key=True)
    delivery_id = Column(String(160), primary_key=True)
    received_at = ts(nullable=False, default=clock.now)


class OneTimeCode(Base):
    """A short code sent to a phone to prove ownership (linking a web session, reading an order)."""

    __tablename__ = "one_time_codes"

    id = Column(BigId, primary_key=True, autoincrement=True)
    purpose = Column(String(30), nullable=False)
    subject = Column(String(160), nullable=False, index=True)
    phone = Column(String(20), nullable=False)
    code_hash = Column(String(200), nullable=False)
    expires_at = ts(nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    used_at = ts()


class ChatMessage(Base):
    """The transcript of a conversation as people saw it: shopper, assistant and agent lines.

    The web chat replays it after a reload and streams new rows by id; the agent console reads it.
    """

    __tablename__ = "chat_messages"

    id = Column(BigId, primary_key=True, autoincrement=True)
    conversation_id = Column(String(160), nullable=False)
    channel = Column(String(20), nullable=False)
    author = Column(String(10), nullable=False)  # user | bot | agent
    text = Column(Text, nullable=False, default="")
    payload = Column(JSON)
    created_at = ts(nullable=False, default=clock.now)

    __table_args__ = (Index("ix_chat_messages_conversation_id_id", "conversation_id", "id"),)


class OutboundMessage(Base):
    """A message sent (or to be sent) through a provider, with its delivery status and retries."""

    __tablename__ = "outbound_messages"

    id = Column(BigId, primary_key=True, autoincrement=True)
    channel = Column(String(20), nullable=False)
    recipient = Column(String(160), nullable=False)
    conversation_id = Column(String(160))
    body = Column(Text, nullable=False, default="")
    payload = Column(JSON)
    status = Column(String(20), nullable=False, default="queued")
    # Meta's message ids run to ~90 characters; Twilio's SIDs are 34.
    provider_message_id = Column(String(200), unique=True)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = ts()
    last_error = Column(Text)
    dedupe_key = Column(String(160), unique=True)
    created_at = ts(nullable=False, default=clock.now)
    updated_at = ts(nullable=False, default=clock.now, onupdate=clock.now)

    # The retry sweep looks for due messages by status and time.
    __table_args__ = (Index("ix_outbound_messages_status_next_attempt", "status", "next_attempt_at"),)


