"""Stock answers: availability after reservations and safety buffers, nearby stores, live updates."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from bot.catalog.availability import available_to_promise
from bot.catalog.geo import haversine_km
from bot.kernel.models import Inventory, Store
from bot.catalog.stock_query import StoreRef, UnknownOption, UnknownProduct, UnknownStore, UnknownVariant
from bot.catalog.inventory import (
    NearbyStock,
    StockLevel,
    check_stock,
    set_on_hand,
    stock_level,
)
from bot.kernel.shop import Shop

BOOT, BOOT_SKU = "FS-BOOT-TRB", "FS-BOOT-TRB-BRN-9"
KINDER, KINDER_SKU = "FS-FLC-KIN", "FS-FLC-KIN-NVY-M"
ALL_STORES = ("arndale", "trafford", "didsbury", "salford-quays", "stockport", "altrincham")


def set_reserved(shop: Shop, store_id: str, sku: str, reserved: int, safety_buffer: int | None = None) -> None:
    with shop.uow() as uow:
        row = uow.session.get(Inventory, (store_id, sku))
        row.reserved = reserved
        row.safety_buffer = safety_buffer
        uow.commit()


def distances_from(shop: Shop, store_id: str) -> dict[str, float]:
    with shop.uow() as uow:
        stores = {store.id: (store.latitude, store.longitude) for store in uow.session.scalars(select(Store))}
    here = stores[store_id]
    return {other: haversine_km(*here, *point) for other, point in stores.items() if other != store_id}


@pytest.mark.parametrize(
    ("on_hand", "reserved", "buffer", "available"),
    [(10, 0, 0, 10), (10, 3, 1, 6), (2, 1, 1, 0), (1, 0, 2, 0), (3, 5, 0, 0)],
)
def test_available_to_promise(on_hand: int, reserved: int, buffer: int, available: int) -> None:
    assert available_to_promise(on_hand, reserved, buffer) == available


def test_in_stock_answer_for_one_variant(catalog_shop: Shop) -> None:
    answer = catalog_shop.run(check_stock, BOOT, "arndale", "Brown", "9")

    # 4 on hand, Arndale holds 1 back.
    assert (answer.product_name, answer.colour, answer.size, answer.sku) == (
        "Trailblazer Waterproof Hiking Boot", "Brown", "9", BOOT_SKU
    )
    assert (answer.available_here, answer.in_stock, answer.nearby) == (3, True, [])
    assert (answer.price_minor, answer.price_max_minor, answer.currency) == (8999, 8999, "GBP")
    assert answer.store == StoreRef("arndale", "Arndale")


def test_out_of_stock_lists_the_nearest_stores_that_have_it(catalog_shop: Shop) -> None:
    answer = catalog_shop.run(check_stock, KINDER, "arndale", "Navy", "M")

    assert (answer.available_here, answer.in_stock) == (0, False)
    # Trafford has 1 on hand but its buffer of 2 keeps it back; Salford Quays and Altrincham have none.
    assert [(entry.store.store_id, entry.available) for entry in answer.nearby] == [("didsbury", 2), ("stockport", 5)]
    distances = distances_from(catalog_shop, "arndale")
    assert [entry.distance_km for entry in answer.nearby] == [
        round(distances["didsbury"], 2), round(distances["stockport"], 2)
    ]


def test_sold_out_everywhere_has_no_nearby(catalog_shop: Shop) -> None:
    answer = catalog_shop.run(check_stock, "FS-JKT-HLV", "stockport", "Red", "XS")

    assert (answer.available_here, answer.nearby) == (0, [])


def test_reserved_and_buffers_reduce_availability(catalog_shop: Shop) -> None:
    catalog_shop.run(set_on_hand, "arndale", BOOT_SKU, 6)
    set_reserved(catalog_shop, "arndale", BOOT_SKU, reserved=2)
    assert catalog_shop.run(check_stock, BOOT, "arndale", "Brown", "9").available_here == 3  # 6 - 2 - store's 1

    set_reserved(catalog_shop, "arndale", BOOT_SKU, reserved=2, safety_buffer=0)
    assert catalog_shop.run(check_stock, BOOT, "arndale", "Brown", "9").available_here == 4  # SKU override wins

    set_reserved(catalog_shop, "arndale", BOOT_SKU, reserved=9, safety_buffer=0)
    assert catalog_shop.run(check_stock, BOOT, "arndale", "Brown", "9").available_here == 0  # floored


def test_stock_changes_show_at_once(catalog_shop: Shop) -> None:
    assert catalog_shop.run(check_stock, BOOT, "arndale", "Brown", "9").available_here == 3

    level = catalog_shop.run(set_on_hand, "arndale", BOOT_SKU, 0)
    assert level == StockLevel("arndale", BOOT_SKU, on_hand=0, reserved=0, safety_buffer=1, available=0)
    after = catalog_shop.run(check_stock, BOOT, "arndale", "Brown", "9")
    assert (after.available_here, after.in_stock) == (0, False)
    assert after.nearby, "other stores stock the boot"

    catalog_shop.run(set_on_hand, "arndale", BOOT_SKU, 12)
    assert catalog_shop.run(check_stock, BOOT, "arndale", "Brown", "9").available_here == 11


def test_nearby_is_the_three_nearest_with_enough_and_only_when_short_here(catalog_shop: Shop) -> None:
    sku = "FS-PACK-HIP-TEA-OS"
    for store_id in ALL_STORES:
        catalog_shop.run(set_on_hand, store_id, sku, 10)
    catalog_shop.run(set_on_hand, "arndale", sku, 3)  # 2 available after the buffer

    enough = catalog_shop.run(check_stock, "FS-PACK-HIP", "arndale", "Teal", None, 2)
    assert (enough.in_stock, enough.nearby) == (True, [])

    short = catalog_shop.run(check_stock, "FS-PACK-HIP", "arndale", "Teal", None, 3)
    distances = distances_from(catalog_shop, "arndale")
    nearest_three = sorted(distances, key=distances.get)[:3]
    assert short.in_stock is False
    assert [entry.store.store_id for entry in short.nearby] == nearest_three
    assert all(entry.available >= 3 for entry in short.nearby)

    catalog_shop.run(set_on_hand, nearest_three[0], sku, 2)  # no longer enough there
    again = catalog_shop.run(check_stock, "FS-PACK-HIP", "arndale", "Teal", None, 3)
    assert nearest_three[0] not in [entry.store.store_id for entry in again.nearby]


def test_open_colour_and_size_sum_over_variants_and_list_what_is_in(catalog_shop: Shop) -> None:
    for size, on_hand in {"XS": 0, "S": 3, "M": 0, "L": 5, "XL": 1, "XXL": 0}.items():
        catalog_shop.run(set_on_hand, "arndale", f"FS-FLC-KIN-NVY-{size}", on_hand)

    navy = catalog_shop.run(check_stock, KINDER, "arndale", "Navy", None)

    assert (navy.available_here, navy.sku, navy.size) == (2 + 4, None, None)  # XL's single unit is buffered
    assert navy.sizes_in_stock == ["S", "L"]
    assert navy.colours_in_stock == ["Navy"]
    assert (navy.price_minor, navy.price_max_minor) == (5999, 6499)


def test_any_colour_any_size_matches_the_database_sum(catalog_shop: Shop) -> None:
    answer = catalog_shop.run(check_stock, KINDER, "didsbury")

    with catalog_shop.uow() as uow:
        rows = uow.session.scalars(
            select(Inventory).where(Inventory.store_id == "didsbury").where(Inventory.sku.like("FS-FLC-KIN-%"))
        ).all()
        expected = sum(max(0, row.on_hand - row.reserved - (row.safety_buffer or 0)) for row in rows)
    assert answer.available_here == expected  # Didsbury's store buffer is 0
    assert set(answer.colours_in_stock) <= {"Navy", "Grey", "Burgundy"}


def test_shopper_spellings_of_colour_and_size_are_accepted(catalog_shop: Shop) -> None:
    answer = catalog_shop.run(check_stock, KINDER, "stockport", "navy", "medium")

    assert (answer.colour, answer.size, answer.sku, answer.available_here) == ("Navy", "M", KINDER_SKU, 5)


def test_a_store_without_a_stock_row_has_none(catalog_shop: Shop) -> None:
    with catalog_shop.uow() as uow:
        uow.session.execute(delete(Inventory).where(Inventory.store_id == "didsbury").where(Inventory.sku == KINDER_SKU))
        uow.commit()

    assert catalog_shop.run(check_stock, KINDER, "didsbury", "Navy", "M").available_here == 0
    assert catalog_shop.run(stock_level, "didsbury", KINDER_SKU).on_hand == 0
    assert catalog_shop.run(set_on_hand, "didsbury", KINDER_SKU, 4).available == 4


def test_bad_requests_raise_clear_errors(catalog_shop: Shop) -> None:
    with pytest.raises(UnknownProduct, match="FS-NOPE"):
        catalog_shop.run(check_stock, "FS-NOPE", "arndale")
    with pytest.raises(UnknownStore, match="leeds"):
        catalog_shop.run(check_stock, BOOT, "leeds")
    with pytest.raises(UnknownOption, match="does not come in colour 'pink'"):
        catalog_shop.run(check_stock, BOOT, "arndale", "pink", None)
    with pytest.raises(UnknownOption, match="does not come in size 'XL'"):
        catalog_shop.run(check_stock, BOOT, "arndale", None, "XL")
    with pytest.raises(ValueError, match="quantity must be at least 1"):
        catalog_shop.run(check_stock, BOOT, "arndale", None, None, 0)
    with pytest.raises(ValueError, match="whole number of 0 or more"):
        catalog_shop.run(set_on_hand, "arndale", BOOT_SKU, -1)
    with pytest.raises(UnknownVariant, match="FS-NOPE-1"):
        catalog_shop.run(set_on_hand, "arndale", "FS-NOPE-1", 1)


def test_nearby_stock_values_are_plain_data(catalog_shop: Shop) -> None:
    answer = catalog_shop.run(check_stock, KINDER, "arndale", "Navy", "M")

    assert isinstance(answer.nearby[0], NearbyStock)
    with pytest.raises(AttributeError):
        answer.available_here = 5  # type: ignore[misc]
