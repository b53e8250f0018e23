"""Loading the catalogue CSVs: counts, idempotence, updates, and clear errors for bad rows."""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.kernel.models import Inventory, Market, MarketPrice, Place, Product, Store, StoreClosure, StoreHours, Variant
from bot.catalog.seed import CatalogFileError, load_catalog
from bot.kernel.shop import Shop
from tests.bot import CATALOG_DIR

FILES = {
    "stores.csv": Store, "store_hours.csv": StoreHours, "store_closures.csv": StoreClosure, "places.csv": Place,
    "products.csv": Product, "variants.csv": Variant, "inventory.csv": Inventory,
    "markets.csv": Market, "market_prices.csv": MarketPrice,
}


def rows_of(catalog_dir: Path, file_name: str) -> list[dict[str, str]]:
    """A file's rows: the shared file's, then each market folder's (markets/<id>/<file>)."""
    paths = [catalog_dir / file_name, *sorted((catalog_dir / "markets").glob(f"*/{file_name}"))]
    return [row for path in paths if path.is_file() for row in csv_rows(path)]


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def count(shop: Shop, model: type) -> int:
    with shop.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_first_load_inserts_every_row_of_every_file(shop: Shop) -> None:
    started = time.perf_counter()
    report = shop.run(load_catalog, CATALOG_DIR)
    elapsed = time.perf_counter() - started

    for file_name, model in FILES.items():
        expected = len(rows_of(CATALOG_DIR, file_name))
        assert report.table(file_name).inserted == expected
        assert count(shop, model) == expected
    assert report.updated == 0
    assert elapsed < 3.0, f"loading {report.inserted} rows took {elapsed:.2f}s"


def test_second_load_changes_nothing(catalog_shop: Shop) -> None:
    report = catalog_shop.run(load_catalog, CATALOG_DIR)

    assert report.changed == 0
    assert report.table("inventory.csv").unchanged == len(rows_of(CATALOG_DIR, "inventory.csv"))


def test_changed_rows_are_updated_and_reserved_stock_is_kept(catalog_shop: Shop, catalog_copy: Path) -> None:
    with catalog_shop.uow() as uow:
        row = uow.session.get(Inventory, ("arndale", "FS-BOOT-TRB-BRN-9"))
        row.reserved = 2
        uow.commit()
    variants = csv_rows(catalog_copy / "variants.csv")
    next(row for row in variants if row["sku"] == "FS-BOOT-TRB-BRN-9")["price_minor"] = "7999"
    write_rows(catalog_copy / "variants.csv", variants)
    stock = csv_rows(catalog_copy / "inventory.csv")
    next(r for r in stock if (r["store_id"], r["sku"]) == ("arndale", "FS-BOOT-TRB-BRN-9"))["on_hand"] = "11"
    write_rows(catalog_copy / "inventory.csv", stock)

    report = catalog_shop.run(load_catalog, catalog_copy)

    assert (report.table("variants.csv").updated, report.table("inventory.csv").updated) == (1, 1)
    assert report.changed == 2
    with catalog_shop.uow() as uow:
        assert uow.session.get(Variant, "FS-BOOT-TRB-BRN-9").price_minor == 7999
        row = uow.session.get(Inventory, ("arndale", "FS-BOOT-TRB-BRN-9"))
        assert (row.on_hand, row.reserved) == (11, 2)


def test_new_rows_in_a_changed_csv_are_inserted(catalog_shop: Shop, catalog_copy: Path) -> None:
    places = csv_rows(catalog_copy / "places.csv")
    places.append({"name": "Ashton-under-Lyne", "latitude": "53.48870", "longitude": "-2.09800"})
    write_rows(catalog_copy / "places.csv", places)

    report = catalog_shop.run(load_catalog, catalog_copy)

    assert report.table("places.csv").inserted == 1
    assert report.changed == 1


@pytest.mark.parametrize(
    ("file_name", "edit", "message"),
    [
        ("variants.csv", {"price_minor": "89.99"}, "variants.csv, line 2: price_minor must be a whole number"),
        ("variants.csv", {"product_id": "FS-NOPE"}, "variants.csv, line 2: product_id 'FS-NOPE' is not in products.csv"),
        ("inventory.csv", {"on_hand": "-1"}, "inventory.csv, line 2: on_hand must be a whole number"),
        ("inventory.csv", {"store_id": "arndal"}, "inventory.csv, line 2: store_id 'arndal' is not in stores.csv"),
        ("stores.csv", {"latitude": "north"}, "stores.csv, line 2: latitude must be a decimal number"),
        ("stores.csv", {"timezone": "Manchester"}, "stores.csv, line 2: timezone must be an IANA time zone"),
        ("stores.csv", {"pay_at_pickup": "maybe"}, "stores.csv, line 2: pay_at_pickup must be true or false"),
        ("store_hours.csv", {"opens": "9am"}, "store_hours.csv, line 2: opens expected a 24-hour time"),
        ("store_hours.csv", {"weekday": "someday"}, "store_hours.csv, line 2: weekday expected a weekday"),
        ("store_hours.csv", {"closes": ""}, "store_hours.csv, line 2: give both opens and closes"),
        ("store_closures.csv", {"day": "25/12/2026"}, "store_closures.csv, line 2: day must be a date like"),
        # markets (markets.csv and a market's own folder)
        ("markets.csv", {"payment_methods": "card gopay"}, "markets.csv, line 2: payment_methods stripe does not offer gopay"),
        ("markets.csv", {"link_provider": "paypal"}, "markets.csv, line 2: link_provider must be one of stripe, midtrans"),
        ("markets.csv", {"locale": "xx_YY"}, "markets.csv, line 2: locale must be a locale like"),
        ("markets.csv", {"languages": ""}, "markets.csv, line 2: languages must list at least one"),
        ("markets.csv", {"country": "UK"}, "markets.csv, line 2: country must be a two-letter country code"),
        ("markets/id/stores.csv", {"currency": "GBP"}, "markets/id/stores.csv, line 2: currency GBP is not market id's IDR"),
        ("markets/id/stores.csv", {"market_id": "vn"}, "markets/id/stores.csv, line 2: market_id 'vn' is not in markets.csv"),
        ("markets/id/market_prices.csv", {"price_minor": "188900050"},
         "markets/id/market_prices.csv, line 2: price_minor 188900050 is not a whole cash amount of IDR"),
        ("markets/id/market_prices.csv", {"sku": "FS-NOPE"}, "markets/id/market_prices.csv, line 2: sku 'FS-NOPE' is not in variants.csv"),
    ],
)
def test_a_bad_row_names_file_and_line_and_changes_nothing(
    shop: Shop, catalog_copy: Path, file_name: str, edit: dict[str, str], message: str
) -> None:
    rows = csv_rows(catalog_copy / file_name)
    rows[0].update(edit)
    write_rows(catalog_copy / file_name, rows)

    with pytest.raises(CatalogFileError) as raised:
        shop.run(load_catalog, catalog_copy)

    assert str(raised.value).startswith(message)
    assert count(shop, Store) == 0


def test_a_duplicate_key_names_both_lines(shop: Shop, catalog_copy: Path) -> None:
    rows = csv_rows(catalog_copy / "products.csv")
    write_rows(catalog_copy / "products.csv", rows + [rows[1]])

    with pytest.raises(CatalogFileError, match=rf"products.csv, line {len(rows) + 2}: duplicate id .*line 3"):
        shop.run(load_catalog, catalog_copy)


def test_a_missing_column_or_file_is_reported(shop: Shop, catalog_copy: Path) -> None:
    rows = [{key: value for key, value in row.items() if key != "currency"} for row in csv_rows(catalog_copy / "variants.csv")]
    write_rows(catalog_copy / "variants.csv", rows)
    with pytest.raises(CatalogFileError, match=r"variants.csv, line 1: missing column\(s\): currency"):
        shop.run(load_catalog, catalog_copy)

    (catalog_copy / "stores.csv").unlink()
    with pytest.raises(CatalogFileError, match="stores.csv, line 0: file not found"):
        shop.run(load_catalog, catalog_copy)


def test_optional_files_may_be_absent(shop: Shop, catalog_copy: Path) -> None:
    """A catalogue from before markets (no markets files, no market_id column) still loads."""
    for name in ("store_closures.csv", "places.csv", "inventory.csv", "markets.csv"):
        (catalog_copy / name).unlink()
    shutil.rmtree(catalog_copy / "markets")
    write_rows(catalog_copy / "stores.csv", [{k: v for k, v in row.items() if k != "market_id"} for row in csv_rows(catalog_copy / "stores.csv")])

    report = shop.run(load_catalog, catalog_copy)

    assert [table.file_name for table in report.tables] == ["stores.csv", "store_hours.csv", "products.csv", "variants.csv"]
    assert count(shop, Inventory) == 0


def test_demo_catalogue_is_rich_enough_for_the_demos() -> None:
    products = csv_rows(CATALOG_DIR / "products.csv")
    variants = csv_rows(CATALOG_DIR / "variants.csv")
    stock = csv_rows(CATALOG_DIR / "inventory.csv")
    stores = csv_rows(CATALOG_DIR / "stores.csv")

    assert len(stores) == 6 and sum(row["pay_at_pickup"] == "false" for row in stores) == 1
    assert len(variants) >= 150
    assert len({row["category"] for row in products}) >= 6
    assert len(stock) == len(stores) * len(variants)
    by_sku: dict[str, list[int]] = {}
    for row in stock:
        by_sku.setdefault(row["sku"], []).append(int(row["on_hand"]))
    split = [sku for sku, counts in by_sku.items() if 0 in counts and max(counts) >= 3]
    assert len(split) >= 50, "demos need SKUs out at one store but in stock at another"


def _script(name: str):  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, CATALOG_DIR.parent.parent / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_reproduces_the_committed_csvs(tmp_path: Path) -> None:
    _script("generate_demo_catalog").generate(tmp_path, 20261123)

    for file_name in FILES:
        if file_name.startswith("market"):
            continue  # markets.csv is edited by hand; market prices come from the market's generator
        assert (tmp_path / file_name).read_bytes() == (CATALOG_DIR / file_name).read_bytes(), file_name


def test_market_generator_reproduces_the_committed_jakarta_csvs(tmp_path: Path) -> None:
    written = _script("generate_demo_market_id").generate(CATALOG_DIR, tmp_path, 20261207)

    assert set(written) == {path.name for path in (CATALOG_DIR / "markets" / "id").iterdir()}
    for file_name in written:
        assert (tmp_path / file_name).read_bytes() == (CATALOG_DIR / "markets" / "id" / file_name).read_bytes(), file_name


def test_load_and_answer_on_postgresql(pg_shop: Shop) -> None:
    from bot.catalog.matching import parse_stock_query
    from bot.catalog.inventory import check_stock

    assert pg_shop.run(load_catalog, CATALOG_DIR).inserted > 0
    assert pg_shop.run(load_catalog, CATALOG_DIR).changed == 0
    query = pg_shop.run(parse_stock_query, "trailblazer boots brown size 9 at arndale")
    assert (query.product_id, query.colour, query.size, query.store_id) == ("FS-BOOT-TRB", "Brown", "9", "arndale")
    assert pg_shop.run(check_stock, "FS-BOOT-TRB", "arndale", "Brown", "9").available_here == 3
