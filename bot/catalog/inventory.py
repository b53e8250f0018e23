"""In-store stock as shoppers see it, always read from the database at the time of asking.

Available to promise = on_hand - reserved - safety buffer (the SKU's own buffer if set, else the
store's), floored at 0: the buffer keeps a few units back for people already walking round the shop.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.sql import Select

from bot.catalog.availability import available_to_promise, buffer_expression, buffer_that_applies
from bot.catalog.geo import haversine_km
from bot.kernel.models import Inventory, Product, Store, Variant
from bot.catalog.stock_query import StoreRef, UnknownOption, UnknownProduct, UnknownVariant
from bot.catalog.matching import resolve_colour, resolve_size
from bot.catalog.shopper_text import size_sort_key
from bot.markets.lookup import prices_in
from bot.catalog.stores import get_store
from bot.kernel.unit_of_work import UnitOfWork, read_only

NEARBY_LIMIT = 3


@dataclass(frozen=True)
class NearbyStock:
    """Another store that has what was asked for."""

    store: StoreRef
    available: int
    distance_km: float


@dataclass(frozen=True)
class StockAnswer:
    """Stock of a product (optionally one colour and/or size) at a store, with nearby alternatives.

    `sku` is set when colour and size pin exactly one variant. `price_minor` is the lowest price of the
    matching variants and `price_max_minor` the highest. `nearby` is filled only when the store has
    fewer than `quantity` available. `colours_in_stock`/`sizes_in_stock` list what this store has
    among the matching variants.
    """

    product_id: str
    product_name: str
    colour: str | None
    size: str | None
    sku: str | None
    price_minor: int
    price_max_minor: int
    currency: str
    store: StoreRef
    available_here: int
    quantity: int
    nearby: list[NearbyStock]
    colours_in_stock: list[str]
    sizes_in_stock: list[str]

    @property
    def in_stock(self) -> bool:
        return self.available_here >= self.quantity


@dataclass(frozen=True)
class StockLevel:
    """One SKU at one store, as stored and as available to promise."""

    store_id: str
    sku: str
    on_hand: int
    reserved: int
    safety_buffer: int
    available: int



@read_only
def check_stock(
    uow: UnitOfWork,
    product_id: str,
    store_id: str,
    colour: str | None = None,
    size: str | None = None,
    quantity: int = 1,
) -> StockAnswer:
    """How many of a product a store can offer now, and the nearest stores that have it otherwise.

    Args:
        uow: Unit of work (read only).
        product_id: The product.
        store_id: The store asked about.
        colour: A colour of the product (any spelling `resolve_colour` accepts), or None for any.
        size: A size of the product (any spelling `resolve_size` accepts), or None for any.
        quantity: How many the shopper wants; nearby stores must have at least this many.

    Returns:
        A `StockAnswer`; when colour or size is None, counts are summed over the matching variants.

    Raises:
        UnknownProduct: No such product.
        UnknownStore: No such store.
        UnknownOption: The product does not come in that colour or size.
        ValueError: quantity is below 1.
    """
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, got {quantity}")
    # The hot path of every stock question: one query in the usual case (the error paths read more).
    colour = _resolve_option(uow, product_id, "colour", colour, resolve_colour)
    size = _resolve_option(uow, product_id, "size", size, resolve_size)
    product_name, variants, per_store = _variants_and_stock(uow, product_id, colour, size)
    if not variants:
        raise UnknownOption(f"{_product_name(uow, product_id)} is not sold in {_describe(colour, size)}")
    store = per_store.get(store_id) or _store_without_stock(uow, store_id)
    available_here = sum(store.available.values())
    in_stock_here = [variant for variant in variants if store.available.get(variant.sku, 0) > 0]
    nearby: list[NearbyStock] = []
    if available_here < quantity:
        nearby = _nearby_stock(store, per_store, quantity)
    in_market = prices_in(uow, store.market_id, [variant.sku for variant in variants])
    prices = [in_market.get(variant.sku, variant.price_minor) for variant in variants]
    currency = store.currency if in_market else variants[0].currency
    return StockAnswer(
        product_id=product_id,
        product_name=product_name,
        colour=colour,
        size=size,
        sku=variants[0].sku if len(variants) == 1 else None,
        price_minor=min(prices),
        price_max_minor=max(prices),
        currency=currency,
        store=StoreRef(store.store_id, store.name),
        available_here=available_here,
        quantity=quantity,
        nearby=nearby,
        colours_in_stock=list(dict.fromkeys(variant.colour for variant in in_stock_here if variant.colour)),
        sizes_in_stock=sorted({variant.size for variant in in_stock_here if variant.size}, key=size_sort_key),
    )


@read_only
def where_in_stock(
    uow: UnitOfWork, product_id: str, colour: str | None = None, size: str | None = None, market_id: str | None = None
) -> list[tuple[StoreRef, int]]:
    """Every store that has the product (in that colour and size, when given), with how many, most first.

    With `market_id`, only that market's stores: a Manchester shopper is not sent to Jakarta.

    Raises:
        UnknownProduct, UnknownOption: as for `check_stock`.
    """
    colour = _resolve_option(uow, product_id, "colour", colour, resolve_colour)
    size = _resolve_option(uow, product_id, "size", size, resolve_size)
    _name, _variants, per_store = _variants_and_stock(uow, product_id, colour, size)
    found = [(StoreRef(store.store_id, store.name), sum(store.available.values())) for store in per_store.values()
             if market_id is None or store.market_id == market_id]
    return sorted([entry for entry in found if entry[1] > 0], key=lambda entry: (-entry[1], entry[0].name))


@read_only
def stock_level(uow: UnitOfWork, store_id: str, sku: str) -> StockLevel:
    """One SKU at one store right now (zero on hand when the store has no row for it).

    Raises:
        UnknownStore: No such store.
        UnknownVariant: No such SKU.
    """
    store = get_store(uow, store_id)
    if uow.session.get(Variant, sku) is None:
        raise UnknownVariant(f"no SKU {sku!r}")
    row = uow.session.get(Inventory, (store_id, sku))
    on_hand, reserved = (row.on_hand, row.reserved) if row else (0, 0)
    buffer = buffer_that_applies(row.safety_buffer if row is not None else None, store.safety_buffer)
    return StockLevel(store_id, sku, on_hand, reserved, buffer, available_to_promise(on_hand, reserved, buffer))


def set_on_hand(uow: UnitOfWork, store_id: str, sku: str, on_hand: int) -> StockLevel:
    """Sets the physical count of a SKU at a store (a stock take, a delivery, a demo) and commits.

    Raises:
        ValueError: on_hand is not a whole number of 0 or more.
        UnknownStore: No such store.
        UnknownVariant: No such SKU.
    """
    if isinstance(on_hand, bool) or not isinstance(on_hand, int) or on_hand < 0:
        raise ValueError(f"on_hand must be a whole number of 0 or more, got {on_hand!r}")
    stock_level(uow, store_id, sku)  # validates store and SKU
    row = uow.session.get(Inventory, (store_id, sku))
    if row is None:
        uow.session.add(Inventory(store_id=store_id, sku=sku, on_hand=on_hand, reserved=0))
    else:
        row.on_hand = on_hand
    uow.commit()
    return stock_level(uow, store_id, sku)


def _resolve_option(uow: UnitOfWork, product_id: str, kind: str, value: str | None, resolve) -> str | None:  # type: ignore[no-untyped-def]
    if value is None or not value.strip():
        return None
    resolved = resolve(uow, product_id, value)
    if resolved is None:
        raise UnknownOption(f"{_product_name(uow, product_id)} does not come in {kind} {value!r}")
    return resolved


def _product_name(uow: UnitOfWork, product_id: str) -> str:
    """The product's name (raises UnknownProduct when there is no such product)."""
    name = uow.session.scalar(select(Product.name).where(Product.id == product_id))
    if name is None:
        raise UnknownProduct(f"no product with id {product_id!r}")
    return str(name)


def _describe(colour: str | None, size: str | None) -> str:
    return " ".join(part for part in (colour, f"size {size}" if size else None) if part) or "any option"


@dataclass(frozen=True)
class _StoreStock:
    store_id: str
    name: str
    latitude: float
    longitude: float
    available: dict[str, int]  # SKU -> available to promise
    market_id: str | None = None  # alternatives are offered within a market only
    currency: str = ""


@dataclass(frozen=True)
class _VariantRow:
    sku: str
    colour: str | None
    size: str | None
    price_minor: int
    currency: str


def _variants_and_stock(
    uow: UnitOfWork, product_id: str, colour: str | None, size: str | None
) -> tuple[str, list[_VariantRow], dict[str, _StoreStock]]:
    """The product's name, its matching variants and every store's stock of them, with the stores' names and locations.

    One query (variants outer-joined to their stock rows) answers the question and the nearby stores:
    on PostgreSQL each statement is a network round trip, so this is what keeps a lookup in milliseconds.
    """
    parameters = {"product_id": product_id, **({"colour": colour} if colour is not None else {}),
                  **({"size": size} if size is not None else {})}
    product_name = ""
    variants: dict[str, _VariantRow] = {}
    per_store: dict[str, _StoreStock] = {}
    rows = uow.session.connection().execute(_variants_and_stock_query(colour is not None, size is not None), parameters)
    for (product_name, sku, v_colour, v_size, price, currency, store_id, on_hand, reserved, safety_buffer, name, lat, lon,
         market_id, store_currency) in rows:
        variants.setdefault(sku, _VariantRow(sku, v_colour, v_size, price, currency))
        if store_id is None or name is None:
            continue  # a variant no store stocks
        store = per_store.get(store_id)
        if store is None:
            store = per_store[store_id] = _StoreStock(store_id, name, lat, lon, {}, market_id, store_currency)
        store.available[sku] = available_to_promise(on_hand, reserved, safety_buffer)
    return product_name, list(variants.values()), per_store


@cache
def _variants_and_stock_query(by_colour: bool, by_size: bool) -> Select:
    """_variants_and_stock's statement on the tables, built once per filter shape: building it and the ORM's
    result handling took as much CPU as the query itself at 1,000,000 inventory rows."""
    variants, products, inventory, stores = Variant.__table__, Product.__table__, Inventory.__table__, Store.__table__
    query = (
        select(products.c.name, variants.c.sku, variants.c.colour, variants.c.size, variants.c.price_minor,
               variants.c.currency, inventory.c.store_id, inventory.c.on_hand, inventory.c.reserved,
               buffer_expression(stores.c.safety_buffer, inventory.c), stores.c.name, stores.c.latitude,
               stores.c.longitude, stores.c.market_id, stores.c.currency)
        .select_from(variants)
        .join(products, products.c.id == variants.c.product_id)
        .outerjoin(inventory, inventory.c.sku == variants.c.sku)
        .outerjoin(stores, stores.c.id == inventory.c.store_id)
        .where(variants.c.product_id == bindparam("product_id"))
        .order_by(variants.c.sku)
    )
    if by_colour:
        query = query.where(variants.c.colour == bindparam("colour"))
    if by_size:
        query = query.where(variants.c.size == bindparam("size"))
    return query


def _store_without_stock(uow: UnitOfWork, store_id: str) -> _StoreStock:
    """The asked store when it holds none of the SKUs (raises UnknownStore when there is no such store)."""
    store = get_store(uow, store_id, with_hours=False)
    return _StoreStock(store.id, store.name, store.latitude, store.longitude, {}, store.market_id, store.currency)


def _nearby_stock(here: _StoreStock, per_store: dict[str, _StoreStock], quantity: int) -> list[NearbyStock]:
    nearby = [
        NearbyStock(
            store=StoreRef(store.store_id, store.name),
            available=sum(store.available.values()),
            distance_km=round(haversine_km(here.latitude, here.longitude, store.latitude, store.longitude), 2),
        )
        for store in per_store.values()
        if store.store_id != here.store_id and store.market_id == here.market_id and sum(store.available.values()) >= quantity
    ]
    nearby.sort(key=lambda entry: (entry.distance_km, entry.store.name))
    return nearby[:NEARBY_LIMIT]
