"""Tables of markets, stores and the catalogue: what is sold where, at what price, and how many are on hand."""

from __future__ import annotations


from sqlalchemy import Boolean, CheckConstraint, Column, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from bot.kernel import clock
from bot.kernel.models.base import Base, Money, ts


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
    payment_methods = Column(String(200), nullable=False)  # "card klarna paypal" (see bot/markets/rules.py)
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
    updated_at = ts(nullable=False, default=clock.now, onupdate=clock.now)

    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        Index("ix_inventory_sku_store", "sku", "store_id"),
    )


