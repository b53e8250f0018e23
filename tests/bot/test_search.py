"""Browsing the catalogue: a real search over names, categories, tags and attributes, with limits read from the words."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.catalog.inventory import set_on_hand
from bot.catalog.search import search_products
from bot.catalog.seed import load_catalog
from bot.kernel.money import market_locales
from bot.kernel.shop import Shop
from bot.languages import speaking
from tests.bot.test_seed import csv_rows, write_rows

# Jakarta prices under Rp 500.000: socks, beanie, sun hat, dry bag, hip pack.
UNDER_500_RIBU = {"FS-ACC-SCK", "FS-ACC-BEA", "FS-ACC-SUN", "FS-PACK-DRY", "FS-PACK-HIP"}


def names(shop: Shop, text: str, store: str | None = None) -> list[str]:
    return [hit.name for hit in shop.run(search_products, text, store).hits]


def test_words_and_tags(catalog_shop: Shop) -> None:
    found = names(catalog_shop, "waterproof jackets")
    assert found[:3] == ["Helvellyn Waterproof Jacket", "Stormfront 3-in-1 Jacket", "Packaway Rain Jacket"]
    assert "Kids' Puddle Waterproof Jacket" not in found  # children's things only when children are mentioned


def test_audience_capacity_and_price_limits(catalog_shop: Shop) -> None:
    assert names(catalog_shop, "warm jacket for a kid")[0] == "Kids' Snowdrift Insulated Jacket"
    assert names(catalog_shop, "tent for 4 people") == ["Borrowdale 4-Person Family Tent"]
    result = catalog_shop.run(search_products, "something under £50")
    assert result.hits and all(hit.price_min_minor <= 5000 for hit in result.hits) and result.described == " under £50"


def test_needs_match_what_meets_them(catalog_shop: Shop) -> None:
    assert names(catalog_shop, "need something to keep drinks cold on a walk") == ["Insulated Water Bottle 750ml"]
    assert names(catalog_shop, "ok what about a bike light")[0] == "Rechargeable Head Torch"


def test_cheapest_first_and_at_most_five(catalog_shop: Shop) -> None:
    cheapest = catalog_shop.run(search_products, "whats your cheapest jacket").hits
    assert cheapest[0].name == "Packaway Rain Jacket" and len(cheapest) <= 3
    assert len(names(catalog_shop, "camping")) <= 5


@pytest.mark.parametrize("text", ["pizza", "whats the weather like", "tell me a joke", "reserve 2", "where's my order"])
def test_nothing_for_what_we_do_not_sell(catalog_shop: Shop, text: str) -> None:
    assert names(catalog_shop, text) == []


def test_stock_is_read_now_and_in_stock_comes_first(catalog_shop: Shop) -> None:
    for sku in ("FS-CMP-TNT-GRN-OS",):
        for store in ("arndale", "trafford", "didsbury", "salford-quays", "stockport", "altrincham"):
            catalog_shop.run(set_on_hand, store, sku, 0)
    hits = catalog_shop.run(search_products, "tents", "arndale").hits
    assert [hit.name for hit in hits][-1] == "Ridgeback 2-Person Tent" and hits[-1].available == 0
    assert hits[0].store_name == "Arndale"


def test_a_jakarta_limit_is_in_rupiah_and_compared_with_jakarta_prices(catalog_shop: Shop) -> None:
    # "jaket di bawah 1,5 juta" as the engine reads it: the Packaway (Rp 1.049.000-1.154.000 in Jakarta, £49.99 in
    # Manchester) and the Kinder Fleece Jacket (Rp 1.259.000) are under it; the Ullswater (Rp 1.679.000) is not.
    result = catalog_shop.run(search_products, "jacket under 1,5jt", None, 5, "id")
    assert {hit.name for hit in result.hits} == {"Packaway Rain Jacket", "Kinder Fleece Jacket"}
    with market_locales({"IDR": "id_ID"}), speaking("id"):
        assert catalog_shop.run(search_products, "jacket under 1,5jt", None, 5, "id").described == " di bawah Rp\xa01.500.000"
    cheap = catalog_shop.run(search_products, "something under 500k", None, 5, "id")
    assert cheap.hits and all(hit.product_id in UNDER_500_RIBU for hit in cheap.hits)


def test_a_store_in_focus_decides_the_currency_of_a_limit(catalog_shop: Shop) -> None:
    under = {"Ullswater Softshell Jacket", "Packaway Rain Jacket", "Kinder Fleece Jacket"}
    assert set(names(catalog_shop, "jackets under 1.7jt", "pondok-indah")) == under  # Rp 1.679.000 and less
    assert set(names(catalog_shop, "jackets under 80", "arndale")) == under  # £79.99 and less


def test_a_limit_in_another_currency_is_not_applied(catalog_shop: Shop) -> None:
    result = catalog_shop.run(search_products, "jacket under 100 euros", None, 5, "gb")
    assert result.foreign_limit == (Decimal(100), "EUR") and result.currency == "GBP"
    found = [hit.name for hit in result.hits]
    assert "Coniston Insulated Jacket" in found  # £110: nothing was filtered as if the limit were £100
    assert found[0] == "Packaway Rain Jacket"  # the cheapest first, though


def test_a_finnish_market_reads_limits_in_euros(shop: Shop, catalog_copy: Path) -> None:
    markets = csv_rows(catalog_copy / "markets.csv")
    markets.append({"id": "fi", "name": "Finland", "country": "FI", "currency": "EUR", "locale": "fi_FI", "timezone": "Europe/Helsinki",
                    "languages": "fi en", "payment_methods": "card mobilepay klarna", "link_provider": "stripe"})
    write_rows(catalog_copy / "markets.csv", markets)
    folder = catalog_copy / "markets" / "fi"
    folder.mkdir()
    euros = {"FS-JKT-PKW": "5990", "FS-JKT-ULS": "9490", "FS-JKT-CON": "12990"}
    variants = [row for row in csv_rows(catalog_copy / "variants.csv") if row["product_id"] in euros]
    write_rows(folder / "market_prices.csv", [{"market_id": "fi", "sku": row["sku"], "price_minor": euros[row["product_id"]]} for row in variants])
    shop.run(load_catalog, catalog_copy)

    # £79.99 in Manchester, 94,90 € in Finland: under £80, not under 80 €.
    assert [hit.name for hit in shop.run(search_products, "jacket under 80 €", None, 5, "fi").hits] == ["Packaway Rain Jacket"]
    assert [hit.name for hit in shop.run(search_products, "jacket under 60e", None, 5, "fi").hits] == ["Packaway Rain Jacket"]
    assert {hit.name for hit in shop.run(search_products, "jacket under 100", None, 5, "fi").hits} == {"Packaway Rain Jacket", "Ullswater Softshell Jacket"}
    with market_locales({"EUR": "fi_FI"}), speaking("fi"):
        assert shop.run(search_products, "jacket under 100", None, 5, "fi").described == " alle 100\xa0€"
