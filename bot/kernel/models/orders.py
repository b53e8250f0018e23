"""Tables of baskets, orders and payments."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from bot.kernel import clock
from bot.kernel.models.base import Base, BigId, Money, ts


class CartLine(Base):
    """One line of a basket. `owner_key` is `customer:<id>` once the conversation has a customer, else the
    conversation id (an unlinked web chat), so SMS, WhatsApp and a linked web chat share one basket."""

    __tablename__ = "cart_lines"

    owner_key = Column(String(160), primary_key=True)
    sku = Column(String(40), ForeignKey("variants.sku"), primary_key=True)
    quantity = Column(Integer, nullable=False)
    added_at = ts(nullable=False, default=clock.now)

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
    hold_expires_at = ts(nullable=False)
    channel = Column(String(20), nullable=False)
    conversation_id = Column(String(160), nullable=False, index=True)
    contact_phone = Column(String(20))
    # The conversation's language when the order was placed (bot/languages: "en", "id", "fi"): the pay page and
    # the pages after paying speak it to a browser that says nothing (a pay link opened from an SMS). Null on
    # orders from before it was kept (migration 0009): those pages fall back to the browser's and the market's.
    language = Column(String(8))
    cancel_reason = Column(String(240))
    created_at = ts(nullable=False, default=clock.now)
    updated_at = ts(nullable=False, default=clock.now, onupdate=clock.now)
    paid_at = ts()
    ready_at = ts()
    collected_at = ts()

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
    expires_at = ts(nullable=False)
    created_at = ts(nullable=False, default=clock.now)
    updated_at = ts(nullable=False, default=clock.now, onupdate=clock.now)


class PaymentEvent(Base):
    """Webhook events already processed, by the provider's event id (deliveries are at least once)."""

    __tablename__ = "payment_events"

    provider = Column(String(20), primary_key=True)
    event_id = Column(String(120), primary_key=True)
    event_type = Column(String(80), nullable=False)
    received_at = ts(nullable=False, default=clock.now)


