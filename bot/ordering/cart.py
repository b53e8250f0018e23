"""The shopper's basket, kept in the database so any replica can serve it.

Callers name the conversation; the basket belongs to its owner (`identity.shopper_key`): the customer
when the conversation has one, so a shopper's SMS, WhatsApp and linked web chat share one basket.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from sqlalchemy import String, and_, bindparam, delete, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload
from sqlalchemy.sql import Select

from bot.catalog.availability import available_expression
from bot.ordering.rules import InvalidQuantity, MixedCurrencies, NotInCart, UnknownSku
from bot.kernel.models import CartLine, Inventory, Product, Store, Variant
from bot.identity.customers import conversation_customer_sql, shopper_key, shopper_key_sql
from bot.kernel.unit_of_work import UnitOfWork, read_only

MAX_LINE_QUANTITY = 20


@dataclass(frozen=True)
class CartLineView:
    sku: str
    name: str
    colour: str
    size: str
    quantity: int
    unit_price_minor: int
    line_total_minor: int
    currency: str
    product_id: str = ""


@dataclass(frozen=True)
class CartView:
    conversation_id: str
    lines: tuple[CartLineView, ...]
    total_minor: int
    currency: str | None  # None while the cart is empty
    item_count: int

    @property
    def is_empty(self) -> bool:
        return not self.lines


@dataclass(frozen=True)
class LineCoverage:
    sku: str
    wanted: int
    available: int

    @property
    def enough(self) -> bool:
        return self.available >= self.wanted


@dataclass(frozen=True)
class StoreCoverage:
    store_id: str
    store_name: str
    pay_at_pickup: bool
    lines: tuple[LineCoverage, ...]

    @property
    def has_everything(self) -> bool:
        return bool(self.lines) and all(line.enough for line in self.lines)

    @property
    def skus_in_stock(self) -> tuple[str, ...]:
        return tuple(line.sku for line in self.lines if line.enough)



def _check_quantity(quantity: object) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise InvalidQuantity(quantity, MAX_LINE_QUANTITY)
    return quantity


def _require_variant(uow: UnitOfWork, owner: str, sku: str) -> Variant:
    """The SKU's variant, if it exists and is priced in the cart's currency."""
    variant = uow.session.get(Variant, sku)
    if variant is None:
        raise UnknownSku(sku)
    currencies = set(
        uow.session.scalars(
            select(Variant.currency)
            .join(CartLine, CartLine.sku == Variant.sku)
            .where(CartLine.owner_key == owner, CartLine.sku != sku)
            .distinct()
        )
    )
    if currencies - {variant.currency}:
        raise MixedCurrencies(currencies | {variant.currency})
    return variant


def add_to_cart(uow: UnitOfWork, conversation_id: str, sku: str, quantity: int = 1) -> CartView:
    """Adds `quantity` of a SKU to the conversation's cart (adding to a line already there).

    Raises:
        UnknownSku: no such SKU.
        MixedCurrencies: the SKU is priced in another currency than the cart.
        InvalidQuantity: quantity is not 1..MAX_LINE_QUANTITY, or the line would exceed it.
    """
    _check_quantity(quantity)
    owner = shopper_key(uow.session, conversation_id)
    _require_variant(uow, owner, sku)
    line = uow.session.get(CartLine, (owner, sku))
    if line is None:
        _insert_or_merge(uow, owner, sku, quantity)
    else:
        _check_quantity(line.quantity + quantity)
        line.quantity = CartLine.quantity + quantity  # SQL-side increment: no lost update
    uow.commit()
    return _view_of(uow, owner, conversation_id)


def _insert_or_merge(uow: UnitOfWork, owner: str, sku: str, quantity: int) -> None:
    uow.session.add(CartLine(owner_key=owner, sku=sku, quantity=quantity))
    try:
        uow.session.flush()
    except IntegrityError:
        # Another request added the same line a moment ago: add to it instead.
        uow.rollback()
        uow.session.execute(
            update(CartLine)
            .where(CartLine.owner_key == owner, CartLine.sku == sku)
            .values(quantity=CartLine.quantity + quantity)
        )


def set_quantity(uow: UnitOfWork, conversation_id: str, sku: str, quantity: int) -> CartView:
    """Sets a line to exactly `quantity`; 0 removes the line.

    Raises:
        UnknownSku: no such SKU.
        InvalidQuantity: quantity is negative or above MAX_LINE_QUANTITY.
    """
    owner = shopper_key(uow.session, conversation_id)
    if quantity == 0 and not isinstance(quantity, bool):
        uow.session.execute(delete(CartLine).where(CartLine.owner_key == owner, CartLine.sku == sku))
        uow.commit()
        return _view_of(uow, owner, conversation_id)
    _check_quantity(quantity)
    _require_variant(uow, owner, sku)
    line = uow.session.get(CartLine, (owner, sku))
    if line is None:
        uow.session.add(CartLine(owner_key=owner, sku=sku, quantity=quantity))
    else:
        line.quantity = quantity
    uow.commit()
    return _view_of(uow, owner, conversation_id)


def remove_from_cart(uow: UnitOfWork, conversation_id: str, sku: str) -> CartView:
    """Removes a SKU's line from the cart.

    Raises:
        NotInCart: the cart has no such line.
    """
    owner = shopper_key(uow.session, conversation_id)
    result = uow.session.execute(delete(CartLine).where(CartLine.owner_key == owner, CartLine.sku == sku))
    if result.rowcount == 0:
        uow.rollback()
        raise NotInCart(sku)
    uow.commit()
    return _view_of(uow, owner, conversation_id)


def clear_cart(uow: UnitOfWork, conversation_id: str) -> int:
    """Empties the cart; returns how many lines were removed."""
    owner = shopper_key(uow.session, conversation_id)
    result = uow.session.execute(delete(CartLine).where(CartLine.owner_key == owner))
    uow.commit()
    return int(result.rowcount)


def cart_rows(uow: UnitOfWork, conversation_id: str) -> list[tuple[CartLine, Variant, Product]]:
    """The cart's lines with their variants and products, oldest line first."""
    return _rows_of(uow, shopper_key(uow.session, conversation_id))


def _rows_of(uow: UnitOfWork, owner: str) -> list[tuple[CartLine, Variant, Product]]:
    rows = uow.session.execute(_rows_query(owner)).all()
    return [(line, variant, product) for line, variant, product in rows]


@dataclass(frozen=True)
class StockedLine:
    sku: str
    quantity: int
    unit_price_minor: int
    currency: str
    available: int  # at the store, buffers taken off; 0 without an inventory row


@dataclass(frozen=True)
class BasketAtStore:
    """Everything placing an order reads, from one statement: the store's terms, the basket and its stock there."""

    owner: str
    customer_id: int | None
    pay_at_pickup: bool
    safety_buffer: int
    market_id: str | None  # the store's market: its prices apply to what is collected there
    currency: str | None
    lines: tuple[StockedLine, ...]  # oldest line first


def basket_at_store(uow: UnitOfWork, conversation_id: str, store_id: str) -> BasketAtStore | None:
    """The conversation's basket with each line's stock at a store, or None when there is no such store.

    One Core statement on the tables: placing an order is what many shoppers do at once on the last units,
    and each refusal used to cost six queries and loading three kinds of ORM objects.
    """
    rows = uow.session.connection().execute(_basket_at_store_query(), {"conversation_id": conversation_id, "store_id": store_id}).all()
    if not rows:
        return None
    first = rows[0]
    return BasketAtStore(
        owner=first.owner,
        customer_id=int(first.customer_id) if first.customer_id is not None else None,
        pay_at_pickup=bool(first.pay_at_pickup),
        safety_buffer=int(first.safety_buffer or 0),
        market_id=first.market_id,
        currency=first.store_currency,
        lines=tuple(
            StockedLine(row.sku, int(row.quantity), int(row.price_minor), row.currency, int(row.available or 0))
            for row in rows
            if row.sku is not None
        ),
    )


@cache
def _basket_at_store_query() -> Select:
    """basket_at_store's statement, built once: constructing it cost as much CPU as running it."""
    stores, lines, variants, products = Store.__table__, CartLine.__table__, Variant.__table__, Product.__table__
    inventory = Inventory.__table__
    conversation_id = bindparam("conversation_id", type_=String)
    basket = (
        select(lines.c.sku, lines.c.quantity, lines.c.added_at, variants.c.price_minor, variants.c.currency)
        .join(variants, variants.c.sku == lines.c.sku)
        .join(products, products.c.id == variants.c.product_id)
        .where(lines.c.owner_key == shopper_key_sql(conversation_id))
        .subquery()
    )
    return (
        select(
            shopper_key_sql(conversation_id).label("owner"), conversation_customer_sql(conversation_id).label("customer_id"),
            stores.c.pay_at_pickup, stores.c.safety_buffer, stores.c.market_id, stores.c.currency.label("store_currency"), basket.c.sku, basket.c.quantity, basket.c.price_minor,
            basket.c.currency, available_expression(stores.c.safety_buffer, inventory.c).label("available"),
        )
        .select_from(stores)
        .outerjoin(basket, true())
        .outerjoin(inventory, and_(inventory.c.store_id == stores.c.id, inventory.c.sku == basket.c.sku))
        .where(stores.c.id == bindparam("store_id", type_=String))
        .order_by(basket.c.added_at, basket.c.sku)
    )


def _rows_query(owner: str) -> Select:
    # The rows' own columns are all callers use. Without the lazyload options, Variant's joined `product` and
    # Product's selectin `variants` would add a join and a second query loading every variant of the basket's products.
    return (
        select(CartLine, Variant, Product)
        .join(Variant, Variant.sku == CartLine.sku)
        .join(Product, Product.id == Variant.product_id)
        .where(CartLine.owner_key == owner)
        .order_by(CartLine.added_at, CartLine.sku)
        .options(lazyload(Variant.product), lazyload(Product.variants))
    )


@read_only
def view_cart(uow: UnitOfWork, conversation_id: str) -> CartView:
    """The cart with names, options and prices in minor units.

    Raises:
        MixedCurrencies: the cart holds SKUs priced in different currencies.
    """
    return _view_of(uow, shopper_key(uow.session, conversation_id), conversation_id)


def _view_of(uow: UnitOfWork, owner: str, conversation_id: str) -> CartView:
    lines = tuple(
        CartLineView(
            sku=variant.sku,
            name=product.name,
            product_id=product.id,
            colour=variant.colour or "",
            size=variant.size or "",
            quantity=line.quantity,
            unit_price_minor=variant.price_minor,
            line_total_minor=variant.price_minor * line.quantity,
            currency=variant.currency,
        )
        for line, variant, product in _rows_of(uow, owner)
    )
    currencies = {line.currency for line in lines}
    if len(currencies) > 1:
        raise MixedCurrencies(currencies)
    return CartView(
        conversation_id=conversation_id,
        lines=lines,
        total_minor=sum(line.line_total_minor for line in lines),
        currency=next(iter(currencies), None),
        item_count=sum(line.quantity for line in lines),
    )


def priced_in(cart: CartView, prices: dict[str, int], currency: str) -> CartView:
    """The cart at a market's prices (`prices_in`), e.g. reviewed for collection at a Jakarta store.

    Unchanged when the market prices none of its SKUs; a SKU the market does not price keeps its own
    price, so a half-priced cart would mix currencies: it is returned unchanged for place_order to refuse.
    """
    if not prices or any(line.sku not in prices for line in cart.lines):
        return cart
    lines = tuple(
        replace(line, unit_price_minor=prices[line.sku], line_total_minor=prices[line.sku] * line.quantity, currency=currency)
        for line in cart.lines
    )
    return replace(cart, lines=lines, total_minor=sum(line.line_total_minor for line in lines), currency=currency)


def move_basket(uow: UnitOfWork, from_owner: str, to_owner: str) -> None:
    """Moves every line of one owner's basket into another's (adding up a SKU both hold); joins the caller's transaction.

    Used when a web chat is linked to a phone: what the shopper put in the basket before linking is kept.
    """
    if from_owner == to_owner:
        return
    moving = uow.session.scalars(select(CartLine).where(CartLine.owner_key == from_owner)).all()
    for line in moving:
        existing = uow.session.get(CartLine, (to_owner, line.sku))
        if existing is None:
            uow.session.add(CartLine(owner_key=to_owner, sku=line.sku, quantity=line.quantity, added_at=line.added_at))
        else:
            existing.quantity = min(existing.quantity + line.quantity, MAX_LINE_QUANTITY)
        uow.session.delete(line)
    uow.session.flush()


def store_coverage(uow: UnitOfWork, conversation_id: str) -> list[StoreCoverage]:
    """For every store, how much of each cart line it can supply right now.

    Stores that have everything come first, then those covering the most lines, then by name.
    A store with no inventory row for a SKU can supply none of it.
    """
    wanted = {line.sku: line.quantity for line, _variant, _product in cart_rows(uow, conversation_id)}
    if not wanted:
        return []
    stores = uow.session.scalars(select(Store).order_by(Store.name)).all()
    available_rows = uow.session.execute(
        select(Inventory.store_id, Inventory.sku, available_expression(Store.safety_buffer))
        .join(Store, Store.id == Inventory.store_id)
        .where(Inventory.sku.in_(list(wanted)))
    ).all()
    available = {(store_id, sku): max(int(amount), 0) for store_id, sku, amount in available_rows}
    coverage = [
        StoreCoverage(
            store_id=store.id,
            store_name=store.name,
            pay_at_pickup=bool(store.pay_at_pickup),
            lines=tuple(
                LineCoverage(sku=sku, wanted=quantity, available=available.get((store.id, sku), 0))
                for sku, quantity in wanted.items()
            ),
        )
        for store in stores
    ]
    coverage.sort(key=lambda c: (not c.has_everything, -len(c.skus_in_stock), c.store_name))
    return coverage
