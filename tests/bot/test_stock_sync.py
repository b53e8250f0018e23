"""Bulk stock upsert from a till export: good rows applied, bad rows reported by line, idempotent."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from bot.kernel.models import AuditEntry, Inventory, Product, Variant
from bot.catalog.stock_sync import StockSyncError, sync_stock
from bot.kernel.shop import Shop
from tests.bot.factories import DEFAULT_NOW, add_store, seed_small_shop, set_stock, stock


@pytest.fixture(params=["shop", "pg_shop"])
def any_shop(request: pytest.FixtureRequest) -> Shop:
    """The same behaviour on SQLite and PostgreSQL."""
    return request.getfixturevalue(request.param)


def _inventory(shop: Shop, store_id: str) -> dict[str, tuple[int, int, int | None]]:
    with shop.uow() as uow:
        rows = uow.session.execute(
            select(Inventory.sku, Inventory.on_hand, Inventory.reserved, Inventory.safety_buffer).where(Inventory.store_id == store_id)
        ).all()
    return {sku: (on_hand, reserved, buffer) for sku, on_hand, reserved, buffer in rows}


EXPORT = (
    "sku,on_hand\n"          # line 1
    "JKT-NVY-M,12\n"         # 2 update
    "NOPE-1,4\n"             # 3 unknown SKU
    "FLC-RED-S,-2\n"         # 4 negative
    "BTS-BRN-42,three\n"     # 5 not a number
    ",7\n"                   # 6 no SKU
    "\n"                     # 7 blank: skipped silently
    "FLC-RED-S,8,extra\n"    # 8 too many cells
    "BTS-BRN-42,6\n"         # 9 update
    "JKT-NVY-M,13\n"         # 10 duplicate of line 2
)


def test_good_rows_are_applied_and_bad_rows_reported_with_line_numbers(any_shop: Shop) -> None:
    ids = seed_small_shop(any_shop)
    report = any_shop.run(sync_stock, ids.leeds, EXPORT, "store_api:sktest", DEFAULT_NOW)

    assert [(p.line, p.sku) for p in report.problems] == [
        (3, "NOPE-1"), (4, "FLC-RED-S"), (5, "BTS-BRN-42"), (6, ""), (8, ""), (10, "JKT-NVY-M"),
    ]
    errors = {p.line: p.error for p in report.problems}
    assert errors[3] == "unknown SKU NOPE-1"
    assert errors[4] == "on_hand must be from 0 to 1000000, got -2"
    assert errors[5] == "on_hand must be a whole number, got 'three'"
    assert errors[6] == "sku is missing"
    assert errors[8] == "the row does not match the columns of the header"
    assert errors[10] == "JKT-NVY-M already appears on line 2"
    assert (report.received, report.created, report.updated, report.unchanged) == (8, 0, 2, 0)

    assert stock(any_shop, ids.leeds, ids.jacket) == (12, 0)
    assert stock(any_shop, ids.leeds, ids.boots) == (6, 0)
    assert stock(any_shop, ids.leeds, ids.fleece) == (10, 0)  # the bad row left it alone
    assert stock(any_shop, ids.york, ids.jacket) == (2, 0)  # other stores untouched


def test_the_same_export_twice_leaves_the_same_state(any_shop: Shop) -> None:
    ids = seed_small_shop(any_shop)
    first = any_shop.run(sync_stock, ids.leeds, EXPORT, "till", DEFAULT_NOW)
    state = _inventory(any_shop, ids.leeds)
    second = any_shop.run(sync_stock, ids.leeds, EXPORT, "till", DEFAULT_NOW)

    assert _inventory(any_shop, ids.leeds) == state
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert [p.as_dict() for p in second.problems] == [p.as_dict() for p in first.problems]
    with any_shop.uow() as uow:
        details = [entry.detail for entry in uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "stock_synced").order_by(AuditEntry.id))]
    assert details[0]["changes"] == [["JKT-NVY-M", 5, 12], ["BTS-BRN-42", 3, 6]]
    assert details[1]["changes"] == [] and details[1]["unchanged"] == 2


def test_on_hand_below_reserved_is_rejected_not_clamped(any_shop: Shop) -> None:
    ids = seed_small_shop(any_shop)
    set_stock(any_shop, ids.leeds, ids.jacket, on_hand=5, reserved=3)
    report = any_shop.run(sync_stock, ids.leeds, [{"sku": ids.jacket, "on_hand": 2}, {"sku": ids.boots, "on_hand": 3}], "till")

    assert [p.as_dict() for p in report.problems] == [
        {"line": 1, "sku": ids.jacket, "error": "on_hand 2 is below the 3 reserved for open orders; row not applied"}
    ]
    assert stock(any_shop, ids.leeds, ids.jacket) == (5, 3)
    assert (report.updated, report.unchanged) == (0, 1)
    # Exactly the reserved count is fine (nothing left to sell, nothing promised twice).
    exact = any_shop.run(sync_stock, ids.leeds, {"rows": [{"sku": ids.jacket, "on_hand": 3}]}, "till")
    assert exact.problems == () and stock(any_shop, ids.leeds, ids.jacket) == (3, 3)


def test_json_text_new_rows_and_safety_buffers(any_shop: Shop) -> None:
    ids = seed_small_shop(any_shop)
    add_store(any_shop, "hull")
    payload = json.dumps([
        {"sku": ids.jacket, "on_hand": 4, "safety_buffer": 2},
        {"sku": ids.boots, "on_hand": "1"},
        "not a row",
        {"sku": ids.fleece, "on_hand": 1.5},
        {"sku": ids.fleece, "on_hand": True},
    ])
    report = any_shop.run(sync_stock, "hull", payload, "till")
    assert (report.created, report.updated) == (2, 0)
    assert [(p.line, p.error) for p in report.problems] == [
        (3, "the row does not match the columns of the header"),
        (4, "on_hand must be a whole number, got 1.5"),
        (5, "on_hand must be a whole number, got True"),
    ]
    assert _inventory(any_shop, "hull") == {ids.jacket: (4, 0, 2), ids.boots: (1, 0, None)}

    csv_with_buffer = "SKU,On_Hand,Safety_Buffer\r\nJKT-NVY-M,4,\r\nBTS-BRN-42,1,1\r\n"
    again = any_shop.run(sync_stock, "hull", csv_with_buffer, "till")
    assert (again.updated, again.unchanged, again.problems) == (2, 0, ())
    assert _inventory(any_shop, "hull") == {ids.jacket: (4, 0, None), ids.boots: (1, 0, 1)}


@pytest.mark.parametrize("payload, message", [
    ("", "the CSV is empty"),
    ("code,qty\nA,1\n", "the CSV header must name the columns sku and on_hand"),
    ('{"rows": 5}', 'JSON stock must be a list of rows or {"rows": [...]}'),
    ("[{", "the JSON is not valid"),
    (b"\xff\xfe", "the stock file must be UTF-8 text"),
])
def test_unreadable_payloads_apply_nothing(shop: Shop, payload, message: str) -> None:  # type: ignore[no-untyped-def]
    ids = seed_small_shop(shop)
    with pytest.raises(StockSyncError, match=message.replace("[", r"\[").replace("{", r"\{")):
        shop.run(sync_stock, ids.leeds, payload, "till")
    assert stock(shop, ids.leeds, ids.jacket) == (5, 0)


def test_unknown_store_is_refused(shop: Shop) -> None:
    with pytest.raises(StockSyncError, match="no store 'atlantis'"):
        shop.run(sync_stock, "atlantis", "sku,on_hand\n", "till")


def test_thousands_of_rows_in_one_call(any_shop: Shop) -> None:
    add_store(any_shop, "leeds")
    skus = [f"SKU-{number:05d}" for number in range(5000)]
    with any_shop.uow() as uow:
        uow.session.add(Product(id="P-BULK", name="Bulk", category="misc", brand="", description=""))
        uow.session.add_all(Variant(sku=sku, product_id="P-BULK", colour="", size="", price_minor=100, currency="GBP") for sku in skus)
        uow.commit()
    set_stock(any_shop, "leeds", skus[0], on_hand=9, reserved=4)
    export = "sku,on_hand\n" + "".join(f"{sku},{index % 7}\n" for index, sku in enumerate(skus))

    started = time.monotonic()
    report = any_shop.run(sync_stock, "leeds", export, "till")
    elapsed = time.monotonic() - started

    assert (report.received, report.created, report.updated) == (5000, 4999, 0)
    assert [(p.line, p.sku) for p in report.problems] == [(2, skus[0])]  # 0 on hand < 4 reserved
    inventory = _inventory(any_shop, "leeds")
    assert len(inventory) == 5000 and inventory[skus[6]] == (6, 0, None) and inventory[skus[0]] == (9, 4, None)
    assert elapsed < 20, f"5,000 rows took {elapsed:.1f}s"

    again = any_shop.run(sync_stock, "leeds", export, "till")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4999)
    changed = export.replace("SKU-00010,3\n", "SKU-00010,30\n")
    third = any_shop.run(sync_stock, "leeds", changed, "till")
    assert (third.updated, third.unchanged) == (1, 4998) and _inventory(any_shop, "leeds")["SKU-00010"] == (30, 0, None)

