"""Browsing the catalogue: a real search over names, categories, tags and attributes, with limits read from the words."""

from __future__ import annotations

import pytest

from bot.catalog.inventory import set_on_hand
from bot.catalog.search import search_products
from bot.kernel.shop import Shop


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
