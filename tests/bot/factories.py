"""Small stores, products, variants and stock rows written straight through the ORM for tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select

from bot.kernel.models import Inventory, Product, Store, Variant
from bot.kernel.shop import Shop

DEFAULT_NOW = datetime(2030, 5, 6, 10, 0, tzinfo=timezone.utc)


def add_store(
    shop: Shop, store_id: str = "leeds", *, name: str | None = None, safety_buffer: int = 0, pay_at_pickup: bool = True
) -> str:
    with shop.uow() as uow:
        uow.session.add(
            Store(
                id=store_id,
                name=name or f"Fellside {store_id.title()}",
                address=f"1 High Street, {store_id.title()}",
                postcode="LS1 1AA",
                phone="+441134960000",
                latitude=53.8,
                longitude=-1.55,
                timezone="Europe/London",
                currency="GBP",
                locale="en_GB",
                safety_buffer=safety_buffer,
                pay_at_pickup=pay_at_pickup,
            )
        )
        uow.commit()
    return store_id


def add_variant(
    shop: Shop,
    sku: str,
    *,
    name: str = "Trail Jacket",
    colour: str = "Navy",
    size: str = "M",
    price_minor: int = 8999,
    currency: str = "GBP",
) -> str:
    product_id = f"P-{sku}"
    with shop.uow() as uow:
        if uow.session.get(Product, product_id) is None:
            uow.session.add(Product(id=product_id, name=name, category="jackets", brand="Fellside", description=""))
        uow.session.add(
            Variant(sku=sku, product_id=product_id, colour=colour, size=size, price_minor=price_minor, currency=currency)
        )
        uow.commit()
    return sku


def set_stock(shop: Shop, store_id: str, sku: str, on_hand: int, *, reserved: int = 0, safety_buffer: int | None = None) -> None:
    with shop.uow() as uow:
        row = uow.session.get(Inventory, (store_id, sku))
        if row is None:
            row = Inventory(store_id=store_id, sku=sku)
            uow.session.add(row)
        row.on_hand, row.reserved, row.safety_buffer = on_hand, reserved, safety_buffer
        uow.commit()


def stock(shop: Shop, store_id: str, sku: str) -> tuple[int, int]:
    """(on_hand, reserved) as stored now."""
    with shop.uow() as uow:
        row = uow.session.execute(
            select(Inventory.on_hand, Inventory.reserved).where(Inventory.store_id == store_id, Inventory.sku == sku)
        ).one()
        return int(row[0]), int(row[1])


@dataclass(frozen=True)
class SmallShop:
    """Two stores and three SKUs: Leeds has everything, York lacks the boots and takes no cash."""

    leeds: str = "leeds"
    york: str = "york"
    jacket: str = "JKT-NVY-M"
    fleece: str = "FLC-RED-S"
    boots: str = "BTS-BRN-42"


def seed_small_shop(shop: Shop) -> SmallShop:
    ids = SmallShop()
    add_store(shop, ids.leeds, name="Fellside Leeds", safety_buffer=1)
    add_store(shop, ids.york, name="Fellside York", pay_at_pickup=False)
    add_variant(shop, ids.jacket, name="Trail Jacket", colour="Navy", size="M", price_minor=8999)
    add_variant(shop, ids.fleece, name="Summit Fleece", colour="Red", size="S", price_minor=4550)
    add_variant(shop, ids.boots, name="Ridge Boots", colour="Brown", size="42", price_minor=12000)
    set_stock(shop, ids.leeds, ids.jacket, on_hand=5)  # store buffer 1 -> 4 available
    set_stock(shop, ids.leeds, ids.fleece, on_hand=10, safety_buffer=0)  # SKU override -> 10
    set_stock(shop, ids.leeds, ids.boots, on_hand=3)  # -> 2
    set_stock(shop, ids.york, ids.jacket, on_hand=2)
    set_stock(shop, ids.york, ids.fleece, on_hand=1, reserved=1)  # -> 0
    return ids


def place(
    shop: Shop,
    conversation_id: str,
    lines: dict[str, int],
    *,
    store_id: str = "leeds",
    payment_method: str = "link",
    now: datetime = DEFAULT_NOW,
    channel: str = "web",
    contact_phone: str | None = "+447700900123",
    customer_id: int | None = None,
    language: str | None = None,
):  # type: ignore[no-untyped-def]
    """Fills a cart and places it as an order; returns the PlacedOrder."""
    from bot.ordering.cart import add_to_cart
    from bot.ordering.placing import place_order

    for sku, quantity in lines.items():
        shop.run(add_to_cart, conversation_id, sku, quantity)
    return shop.run(
        place_order,
        conversation_id,
        channel,
        store_id,
        payment_method,
        customer_id=customer_id,
        contact_phone=contact_phone,
        now=now,
        language=language,
    )
