"""Placing an order from a basket: a unique reference, the stock held line by line, the hold timer set."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from bot.kernel import audit, clock
from bot.kernel.models import CartLine, Inventory, Order, OrderLine, Timer
from bot.kernel.unit_of_work import UnitOfWork
from bot.markets.lookup import prices_in
from bot.catalog.availability import available_expression
from bot.ordering.cart import basket_at_store
from bot.ordering.orders import HOLD_EXPIRY_TIMER, PlacedOrder, summarise
from bot.catalog.stock_query import UnknownStore
from bot.ordering.rules import DEFAULT_REFERENCE_PREFIX, EmptyCart, HoldPolicy, MixedCurrencies, OrderStatus, OutOfStock, PaymentMethod, PaymentMethodNotOffered, new_order_reference, new_pickup_code


def _unique_reference(uow: UnitOfWork, prefix: str) -> str:
    while True:
        reference = new_order_reference(prefix)
        if uow.session.scalar(select(func.count()).select_from(Order).where(Order.reference == reference)) == 0:
            return reference


def _reserve(uow: UnitOfWork, store_id: str, store_buffer: int, sku: str, quantity: int) -> None:
    """Holds `quantity` of `sku` at the store, or raises OutOfStock leaving the row untouched."""
    result = uow.session.execute(
        update(Inventory)
        .where(
            Inventory.store_id == store_id,
            Inventory.sku == sku,
            available_expression(store_buffer) >= quantity,
        )
        .values(reserved=Inventory.reserved + quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        return
    available = uow.session.scalar(
        select(available_expression(store_buffer)).where(Inventory.store_id == store_id, Inventory.sku == sku)
    )
    raise OutOfStock(sku, int(available or 0))


def place_order(
    uow: UnitOfWork,
    conversation_id: str,
    channel: str,
    store_id: str,
    payment_method: str,
    customer_id: int | None = None,
    contact_phone: str | None = None,
    now: datetime | None = None,
    hold_policy: HoldPolicy = HoldPolicy(),
    reference_prefix: str = DEFAULT_REFERENCE_PREFIX,
    language: str | None = None,
) -> PlacedOrder:
    """Turns the conversation's cart into an order at one store, holding every line's stock.

    The hold is all or nothing: if any line is short, nothing is reserved and the cart is kept.
    `language` is the conversation's (bot/languages), kept so the pages about the order speak it.
    A pay-by-link order waits `hold_policy.unpaid_minutes` for payment; a pay-at-pickup order is
    held `hold_policy.paid_hours`. A durable timer ("hold_expiry", subject = order id) expires it.

    Raises:
        EmptyCart, UnknownStore, PaymentMethodNotOffered, MixedCurrencies,
        OutOfStock: `sku` and how many are `available` at that store.
    """
    now = now or clock.now()
    method = PaymentMethod(payment_method)
    basket = basket_at_store(uow, conversation_id, store_id)
    if basket is None:
        raise UnknownStore(store_id)
    if method is PaymentMethod.AT_PICKUP and not basket.pay_at_pickup:
        raise PaymentMethodNotOffered(store_id, method.value)
    if not basket.lines:
        raise EmptyCart()
    if customer_id is None:
        customer_id = basket.customer_id
    # Priced where it is collected: a Jakarta store sells at the Indonesian market's rupiah prices.
    in_market = prices_in(uow, basket.market_id, [line.sku for line in basket.lines])
    unit_prices = {line.sku: in_market.get(line.sku, line.unit_price_minor) for line in basket.lines}
    currencies = {basket.currency if line.sku in in_market else line.currency for line in basket.lines}
    if len(currencies) > 1:
        raise MixedCurrencies(currencies)

    by_sku = sorted(basket.lines, key=lambda line: line.sku)
    # A line already short in this read is refused without touching the inventory row: when many shoppers
    # race for the last units, the losers neither queue for the winners' row lock nor pay more round trips.
    # The conditional UPDATE in _reserve stays the guard against overselling.
    for line in by_sku:
        if line.available < line.quantity:
            uow.rollback()
            raise OutOfStock(line.sku, line.available)
    try:
        for line in by_sku:
            _reserve(uow, store_id, basket.safety_buffer, line.sku, line.quantity)
    except OutOfStock:
        uow.rollback()
        raise

    hold = timedelta(minutes=hold_policy.unpaid_minutes) if method is PaymentMethod.LINK else timedelta(hours=hold_policy.paid_hours)
    order = Order(
        reference=_unique_reference(uow, reference_prefix),
        customer_id=customer_id,
        store_id=store_id,
        status=OrderStatus.PENDING_PAYMENT.value,
        payment_method=method.value,
        currency=currencies.pop(),
        total_minor=sum(unit_prices[line.sku] * line.quantity for line in basket.lines),
        pickup_code=new_pickup_code(),
        hold_expires_at=now + hold,
        channel=channel,
        conversation_id=conversation_id,
        contact_phone=contact_phone,
        language=language,
        created_at=now,
        updated_at=now,
        lines=[
            OrderLine(sku=line.sku, quantity=line.quantity, unit_price_minor=unit_prices[line.sku])
            for line in basket.lines
        ],
    )
    uow.session.add(order)
    uow.session.flush()
    uow.session.add(Timer(kind=HOLD_EXPIRY_TIMER, subject=str(order.id), due_at=order.hold_expires_at))
    uow.session.execute(
        delete(CartLine)
        .where(CartLine.owner_key == basket.owner, CartLine.sku.in_([line.sku for line in basket.lines]))
        .execution_options(synchronize_session=False)
    )
    audit.record(uow, actor=f"shopper:{channel}", action="order_placed", now=now, order=order, payment_method=method.value, total_minor=order.total_minor)
    uow.commit()
    return summarise(uow, order)


# --- status changes ---------------------------------------------------------------------------------
