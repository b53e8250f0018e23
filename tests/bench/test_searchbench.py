"""The catalogue-search figures: the multiplied catalogue is a real one, searched through the real service.

No timing is asserted: figures come from `make bench`.
"""

from __future__ import annotations

from bench import searchbench
from bench.run import _db_rows
from bot.catalog.search import search_products


def test_the_multiplied_catalogue_keeps_each_models_words_and_prices() -> None:
    products = list(searchbench._products(100))
    assert len({product["id"] for product, _variants in products}) == 100
    first, variants = products[0]
    assert first["name"].startswith("Trailblazer Waterproof Hiking Boot ")
    assert 1 <= len(variants) <= searchbench.VARIANTS_PER_PRODUCT
    assert all(variant["product_id"] == first["id"] and variant["price_minor"] > 0 for variant in variants)


def test_searches_find_the_shoppers_things_and_time_every_line() -> None:
    result = searchbench.sqlite_searches(products=300, count=24)
    assert len(result["latencies_s"]) == 24
    assert all(len(times) == 2 for times in result["per_line_latencies_s"].values())
    assert result["index_build_s"] > 0


def test_a_search_over_the_multiplied_catalogue_answers_with_its_products() -> None:
    from bench.dbbench import _shop, sqlite_database

    with sqlite_database() as url:
        shop = _shop(url)
        try:
            searchbench.load_catalogue(shop, 200)
            hits = shop.run(search_products, "hiking boots").hits
        finally:
            shop.close()
    assert hits and all(hit.product_id.startswith("SB-") and "Boot" in hit.name for hit in hits)


def test_search_rows_carry_the_20_ms_target() -> None:
    rows = _db_rows({"sqlite_search": {"products": 10_000, "latencies_s": [0.004] * 98 + [0.03] * 2, "index_build_s": 1.5}})
    p99 = next(row for row in rows if row.label == "catalogue search sqlite, 10,000 products p99")
    assert p99.target == 20 and p99.verdict == "MISSED"
    p50 = next(row for row in rows if row.label == "catalogue search sqlite, 10,000 products p50")
    assert p50.ours == 4.0
