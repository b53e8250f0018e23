"""Database tables of the commerce core.

Every piece of state that matters lives here, not in a process's memory, so several replicas of each
server can run side by side. Money is stored as integer minor units (pence, cents) with its currency.
"""

from __future__ import annotations


from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship
from bot import clock

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

# SQLite only auto-increments INTEGER PRIMARY KEY; BigInteger elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# Money in minor units is 64-bit: Rp 25.000.000 is 2.5 billion sen, past a 32-bit column.
Money = BigInteger


def _ts(**kwargs: object) -> Column:
    """A timezone-aware UTC timestamp column."""
    return Column(DateTime(timezone=True), **kwargs)


# --- markets, stores and catalogue -------------------------------------------------------------


class Market(Base):
    """Where a retailer sells: its currency, locale, languages, payment methods and pay-link provider.

    Loaded from markets.csv; stores belong to one. Space-separated lists keep the CSV one row a market.
    """

    __tablename__ = "markets"

    id = Column(String(20), primary_key=True)
    name = Column(String(80), nullable=False)
    country = Column(String(2), nullable=False)  # ISO 3166-1 alpha-2: shoppers texting from +62 are in ID
    currency = Column(String(3), nullable=False)
    locale = Column(String(16), nullable=False)
    timezone = Column(String(64), nullable=False)
    languages = Column(String(60), nullable=False)  # "id en": the first is the market's own
    payment_methods = Column(String(200), nullable=False)  # "card klarna paypal" (see bot/domain/markets.py)
    link_provider = Column(String(20), nullable=False)  # stripe | midtrans


class MarketPrice(Base):
    """A SKU's price in one market; a market without a row for a SKU sells it at the variant's price."""

    __tablename__ = "market_prices"

    market_id = Column(String(20), ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True)
    sku = Column(String(40), ForeignKey("variants.sku", ondelete="CASCADE"), primary_key=True)
    price_minor = Column(Money, nullable=False)

    __table_args__ = (CheckConstraint("price_minor >= 0", name="market_price_not_negative"),)


class Store(Base):
    __tablename__ = "stores"

    id = Column(String(40), primary_key=True)
    name = Column(String(120), nullable=False)
    address = Column(String(240), nullable=False)
    postcode = Column(String(16), nullable=False)
    phone = Column(String(32), nullable=False)
    latitude = Column(Float, nullable=False)
    longitude = Column(Float, nullable=False)
    timezone = Column(String(64), nullable=False)
    currency = Column(String(3), nullable=False)
    locale = Column(String(16), nullable=False)
    safety_buffer = Column(Integer, nullable=False, default=0)
    pay_at_pickup = Column(Boolean, nullable=False, default=True)
    # Null: a store from before markets, priced and paid as its own currency and the deployment's provider.
    market_id = Column(String(20), ForeignKey("markets.id"), index=True)

    hours = relationship("StoreHours", order_by="StoreHours.weekday", lazy="selectin")


class StoreHours(Base):
    """Opening hours by weekday (0 = Monday); a missing row or null times mean closed all day."""

    __tablename__ = "store_hours"

    store_id = Column(String(40), ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    weekday = Column(Integer, primary_key=True)
    opens = Column(String(5))
    closes = Column(String(5))


class StoreClosure(Base):
    """A date a store keeps different hours or stays shut (bank holidays, stocktakes)."""

    __tablename__ = "store_closures"

    store_id = Column(String(40), ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    day = Column(Date, primary_key=True)
    reason = Column(String(120), nullable=False)
    opens = Column(String(5))
    closes = Column(String(5))


class Place(Base):
    """Neighbourhoods, landmarks and postcode districts, so "nearest store to X" needs no network."""

    __tablename__ = "places"

    name = Column(String(120), primary_key=True)
    latitude = Column(Float, nullable=False)
    longitude = Column(Float, nullable=False)


class Product(Base):
    __tablename__ = "products"

    id = Column(String(40), primary_key=True)
    name = Column(String(160), nullable=False)
    category = Column(String(60), nullable=False, index=True)
    brand = Column(String(80), nullable=False, default="")
    description = Column(Text, nullable=False, default="")
    # What browsing searches on besides the words above ("warm jacket for a kid", "tent for 4 people").
    audience = Column(String(20), nullable=False, default="adults")  # adults | kids
    tags = Column(String(200), nullable=False, default="")  # space-separated: waterproof insulated warm ...
    sleeps = Column(Integer)  # tents: how many people
    volume_l = Column(Integer)  # bags and bottles: litres

    variants = relationship("Variant", back_populates="product", lazy="selectin")


class Variant(Base):
    """One sellable SKU: a product in one colour and size. The SKU is the same on every channel."""

    __tablename__ = "variants"

    sku = Column(String(40), primary_key=True)
    product_id = Column(String(40), ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True)
    colour = Column(String(40), nullable=False, default="")
    size = Column(String(20), nullable=False, default="")
    price_minor = Column(Money, nullable=False)
    currency = Column(String(3), nullable=False)

    product = relationship("Product", back_populates="variants", lazy="joined")

    __table_args__ = (CheckConstraint("price_minor >= 0", name="price_not_negative"),)


class Inventory(Base):
    """Stock of one SKU at one store. Available to chat = on_hand - reserved - safety buffer."""

    __tablename__ = "inventory"

    store_id = Column(String(40), ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    sku = Column(String(40), ForeignKey("variants.sku", ondelete="CASCADE"), primary_key=True)
    on_hand = Column(Integer, nullable=False, default=0)
    reserved = Column(Integer, nullable=False, default=0)
    # Per-SKU override of the store's buffer; null means "use the store's".
    safety_buffer = Column(Integer)
    updated_at = _ts(nullable=False, default=clock.now, onupdate=clock.now)

    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        Index("ix_inventory_sku_store", "sku", "store_id"),
    )


# --- shoppers and channels ------------------------------------------------------------------------


class Customer(Base):
    __tablename__ = "customers"

    id = Column(BigId, primary_key=True, autoincrement=True)
    display_name = Column(String(120), nullable=False, default="")
    phone = Column(String(20), unique=True)
    created_at = _ts(nullable=False, default=clock.now)


class ChannelIdentity(Base):
    """How a customer is known on one channel: E.164 phone, Messenger PSID, Telegram id, web session."""

    __tablename__ = "channel_identities"

    id = Column(BigId, primary_key=True, autoincrement=True)
    customer_id = Column(BigId, ForeignKey("customers.id"), nullable=False, index=True)
    channel = Column(String(20), nullable=False)
    external_id = Column(String(120), nullable=False)
    conversation_id = Column(String(160), nullable=False, index=True)
    last_inbound_at = _ts()
    created_at = _ts(nullable=False, default=clock.now)

    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_channel_identities_channel_external"),)


class PhoneOptOut(Base):
    """A phone number that texted STOP: nothing is sent to it from any part of the system."""

    __tablename__ = "phone_opt_outs"

    phone = Column(String(20), primary_key=True)
    opted_out_at = _ts(nullable=False, default=clock.now)
    keyword = Column(String(20), nullable=False)


class InboundDelivery(Base):
    """Provider message ids already handled, so a retried webhook is answered once."""

    __tablename__ = "inbound_deliveries"

    channel = Column(String(20), primary_key=True)
    delivery_id = Column(String(160), primary_key=True)
    received_at = _ts(nullable=False, default=clock.now)


class OneTimeCode(Base):
    """A short code sent to a phone to prove ownership (linking a web session, reading an order)."""

    __tablename__ = "one_time_codes"

    id = Column(BigId, primary_key=True, autoincrement=True)
    purpose = Column(String(30), nullable=False)
    subject = Column(String(160), nullable=False, index=True)
    phone = Column(String(20), nullable=False)
    code_hash = Column(String(200), nullable=False)
    expires_at = _ts(nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    used_at = _ts()


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
    created_at = _ts(nullable=False, default=clock.now)

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
    next_attempt_at = _ts()
    last_error = Column(Text)
    dedupe_key = Column(String(160), unique=True)
    created_at = _ts(nullable=False, default=clock.now)
    updated_at = _ts(nullable=False, default=clock.now, onupdate=clock.now)

    # The retry sweep looks for due messages by status and time.
    __table_args__ = (Index("ix_outbound_messages_status_next_attempt", "status", "next_attempt_at"),)


# --- carts, orders and payments -------------------------------------------------------------------


class CartLine(Base):
    """One line of a basket. `owner_key` is `customer:<id>` once the conversation has a customer, else the
    conversation id (an unlinked web chat), so SMS, WhatsApp and a linked web chat share one basket."""

    __tablename__ = "cart_lines"

    owner_key = Column(String(160), primary_key=True)
    sku = Column(String(40), ForeignKey("variants.sku"), primary_key=True)
    quantity = Column(Integer, nullable=False)
    added_at = _ts(nullable=False, default=clock.now)

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class Order(Base):
    """A click-and-collect order: pending_payment -> paid -> ready -> collected; cancelled; expired."""

    __tablename__ = "orders"

    id = Column(BigId, primary_key=True, autoincrement=True)
    reference = Column(String(16), nullable=False, unique=True)
    customer_id = Column(BigId, ForeignKey("customers.id"), index=True)
    store_id = Column(String(40), ForeignKey("stores.id"), nullable=False, index=True)
    status = Column(String(20), nullable=False, index=True)
    payment_method = Column(String(20), nullable=False)  # link | at_pickup
    currency = Column(String(3), nullable=False)
    total_minor = Column(Money, nullable=False)
    pickup_code = Column(String(8), nullable=False)
    hold_expires_at = _ts(nullable=False)
    channel = Column(String(20), nullable=False)
    conversation_id = Column(String(160), nullable=False, index=True)
    contact_phone = Column(String(20))
    cancel_reason = Column(String(240))
    created_at = _ts(nullable=False, default=clock.now)
    updated_at = _ts(nullable=False, default=clock.now, onupdate=clock.now)
    paid_at = _ts()
    ready_at = _ts()
    collected_at = _ts()

    lines = relationship("OrderLine", back_populates="order", lazy="selectin", cascade="all, delete-orphan")

    __table_args__ = (CheckConstraint("total_minor >= 0", name="total_not_negative"),)


class OrderLine(Base):
    __tablename__ = "order_lines"

    id = Column(BigId, primary_key=True, autoincrement=True)
    order_id = Column(BigId, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    sku = Column(String(40), ForeignKey("variants.sku"), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price_minor = Column(Money, nullable=False)

    order = relationship("Order", back_populates="lines")

    __table_args__ = (CheckConstraint("quantity > 0", name="line_quantity_positive"),)


class PaymentLink(Base):
    __tablename__ = "payment_links"

    id = Column(BigId, primary_key=True, autoincrement=True)
    order_id = Column(BigId, ForeignKey("orders.id"), nullable=False, index=True)
    provider = Column(String(20), nullable=False)
    provider_ref = Column(String(120), nullable=False, unique=True)
    url = Column(Text, nullable=False)
    amount_minor = Column(Money, nullable=False)
    currency = Column(String(3), nullable=False)
    status = Column(String(20), nullable=False, default="open")  # open | paid | expired | failed | refunded
    idempotency_key = Column(String(120), nullable=False, unique=True)
    expires_at = _ts(nullable=False)
    created_at = _ts(nullable=False, default=clock.now)
    updated_at = _ts(nullable=False, default=clock.now, onupdate=clock.now)


class PaymentEvent(Base):
    """Webhook events already processed, by the provider's event id (deliveries are at least once)."""

    __tablename__ = "payment_events"

    provider = Column(String(20), primary_key=True)
    event_id = Column(String(120), primary_key=True)
    event_type = Column(String(80), nullable=False)
    received_at = _ts(nullable=False, default=clock.now)


# --- people behind the counter --------------------------------------------------------------------


class Agent(Base):
    __tablename__ = "agents"

    id = Column(BigId, primary_key=True, autoincrement=True)
    username = Column(String(80), nullable=False, unique=True)
    display_name = Column(String(120), nullable=False)
    password_hash = Column(String(200), nullable=False)
    last_seen_at = _ts()
    created_at = _ts(nullable=False, default=clock.now)


class HandoffSession(Base):
    """A conversation handed to people: waiting -> active -> returned | closed."""

    __tablename__ = "handoff_sessions"

    id = Column(BigId, primary_key=True, autoincrement=True)
    conversation_id = Column(String(160), nullable=False, index=True)
    channel = Column(String(20), nullable=False)
    state = Column(String(20), nullable=False, index=True)
    reason = Column(String(60), nullable=False)
    agent_id = Column(BigId, ForeignKey("agents.id"))
    requested_at = _ts(nullable=False, default=clock.now)
    taken_at = _ts()
    ended_at = _ts()
    resolved_by = Column(String(10))  # agent | bot


class StoreCredential(Base):
    """A store's API key or dashboard password, only ever stored hashed."""

    __tablename__ = "store_credentials"

    id = Column(BigId, primary_key=True, autoincrement=True)
    store_id = Column(String(40), ForeignKey("stores.id"), nullable=False, index=True)
    kind = Column(String(20), nullable=False)  # api_key | dashboard
    key_prefix = Column(String(16), nullable=False, unique=True)
    secret_hash = Column(String(200), nullable=False)
    label = Column(String(120), nullable=False, default="")
    created_at = _ts(nullable=False, default=clock.now)
    revoked_at = _ts()


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id = Column(BigId, primary_key=True, autoincrement=True)
    actor = Column(String(120), nullable=False)
    store_id = Column(String(40), index=True)
    action = Column(String(60), nullable=False)
    detail = Column(JSON)
    at = _ts(nullable=False, default=clock.now)

    # Console sessions are checked against logouts on every request.
    __table_args__ = (Index("ix_audit_log_actor_action_at", "actor", "action", "at"),)


class LoginThrottle(Base):
    """Recent login attempts of one account from one client address (bot/services/login_throttle.py).

    Times are epoch seconds, so the delay ladder is plain arithmetic in one portable UPDATE.
    """

    __tablename__ = "login_throttle"

    account = Column(String(120), primary_key=True)  # "<console|store>:<username or store id>"
    client = Column(String(64), primary_key=True)
    failures = Column(Integer, nullable=False)
    last_attempt = Column(Float, nullable=False)
    retry_at = Column(Float, nullable=False)


class Timer(Base):
    """A durable timer (hold expiry, reminders, retries): swept from the database, so restarts keep it."""

    __tablename__ = "timers"

    id = Column(BigId, primary_key=True, autoincrement=True)
    kind = Column(String(40), nullable=False)
    subject = Column(String(120), nullable=False)
    due_at = _ts(nullable=False)
    fired_at = _ts()
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text)

    __table_args__ = (
        UniqueConstraint("kind", "subject", name="uq_timers_kind_subject"),
        Index("ix_timers_due_open", "fired_at", "due_at"),
    )


class TurnEffect(Base):
    """A side effect already done for one inbound message (bot/services/turn_effects.py).

    Written in the same transaction as the effect, so a message handled again after a crash finds it.
    """

    __tablename__ = "turn_effects"

    key = Column(String(400), primary_key=True)  # "<conversation>|<inbound message id>|<effect>#<n>"
    result = Column(String(200))  # what the effect made, e.g. the order reference
    created_at = _ts(nullable=False, default=clock.now, index=True)
