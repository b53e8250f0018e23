"""Catalogue search (browsing: "waterproof jackets", "tent for 4 people") over a large catalogue.

The demo catalogue (data/catalog/products.csv, variants.csv) is multiplied into `products` products:
each copy keeps its model's words (name, category, tags, description) with a range word and a number
added, so a common word such as "jacket" has hundreds of products behind it, as in a big outdoor shop.
Shoppers' lines are the browsing examples of docs/conversation.md, typos included.
"""

from __future__ import annotations

import csv
import time
from typing import Iterator

from sqlalchemy import insert

from bench.dbbench import _shop, sqlite_database
from bot.kernel.models import Inventory, Product, Store, Variant
from bot.catalog.search import search_products
from bot.kernel.shop import Shop
from scripts.shop_env import PROJECT_ROOT

CATALOG = PROJECT_ROOT / "data" / "catalog"
RANGES = ("Pro", "Lite", "Trek", "Summit", "Classic", "Explorer", "Venture", "Alpine", "Storm", "Ridge")
VARIANTS_PER_PRODUCT = 3
STORES = 10
SHOPPER_LINES = (
    "waterproof jackets",
    "warm jacket for a kid",
    "tent for 4 people",
    "something under £50",
    "what do I need for my first munro",
    "stocking fillers under a tenner",
    "hiking boots",
    "hats and gloves",
    "the cheapest rucksack",
    "a warm top, not a fleece",
    "waterprof jaket",
    "sleeping bag for camping in winter",
)


def _rows(file_name: str) -> list[dict[str, str]]:
    with (CATALOG / file_name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _products(count: int) -> Iterator[tuple[dict[str, object], list[dict[str, object]]]]:
    models = _rows("products.csv")
    variants: dict[str, list[dict[str, str]]] = {}
    for variant in _rows("variants.csv"):
        variants.setdefault(variant["product_id"], []).append(variant)
    for index in range(count):
        model = models[index % len(models)]
        product_id = f"SB-{index:05d}"
        product = dict(
            id=product_id, name=f"{model['name']} {RANGES[(index // len(models)) % len(RANGES)]} {index}",
            category=model["category"], brand=model["brand"], description=model["description"],
            audience=model["audience"] or "adults", tags=model["tags"],
            sleeps=int(model["sleeps"]) if model["sleeps"] else None,
            volume_l=int(model["volume_l"]) if model["volume_l"] else None,
        )
        own = [
            dict(sku=f"{product_id}-{number}", product_id=product_id, colour=variant["colour"] or None,
                 size=variant["size"] or None, price_minor=int(variant["price_minor"]) + index % 7 * 100,
                 currency=variant["currency"])
            for number, variant in enumerate(variants.get(model["id"], [])[:VARIANTS_PER_PRODUCT])
        ]
        yield product, own


def load_catalogue(shop: Shop, products: int) -> float:
    """Writes the multiplied catalogue and its stock at STORES stores; returns seconds taken."""
    started = time.perf_counter()
    product_rows, variant_rows = [], []
    for product, variants in _products(products):
        product_rows.append(product)
        variant_rows.extend(variants)
    with shop.uow() as uow:
        uow.session.execute(insert(Store), [
            dict(id=f"ss{index:02d}", name=f"Search Store {index}", address=f"{index} Market Street", postcode="M1 1AA",
                 phone="+441614960000", latitude=53.3 + index * 0.05, longitude=-2.3, timezone="Europe/London",
                 currency="GBP", locale="en_GB", safety_buffer=1, pay_at_pickup=True)
            for index in range(STORES)
        ])
        uow.session.execute(insert(Product), product_rows)
        uow.session.execute(insert(Variant), variant_rows)
        uow.session.execute(insert(Inventory), [
            dict(store_id=f"ss{store:02d}", sku=variant["sku"], on_hand=(position * 7 + store) % 9, reserved=0)
            for store in range(STORES)
            for position, variant in enumerate(variant_rows)
        ])
        uow.commit()
    return time.perf_counter() - started


def searches(shop: Shop, products: int, count: int) -> dict[str, object]:
    """Loads the catalogue, builds the index once (timed apart), then times `count` searches cycling the lines."""
    load_s = load_catalogue(shop, products)
    started = time.perf_counter()
    shop.run(search_products, SHOPPER_LINES[0])  # builds the in-memory index, as the first search after start-up does
    build_s = time.perf_counter() - started
    for line in SHOPPER_LINES:  # warm every code path once
        shop.run(search_products, line, "ss03")
    latencies: list[float] = []
    per_line: dict[str, list[float]] = {line: [] for line in SHOPPER_LINES}
    for number in range(count):
        line = SHOPPER_LINES[number % len(SHOPPER_LINES)]
        store = f"ss{number % STORES:02d}" if number % 2 else None
        started = time.perf_counter()
        shop.run(search_products, line, store)
        elapsed = time.perf_counter() - started
        latencies.append(elapsed)
        per_line[line].append(elapsed)
    return {"products": products, "load_s": load_s, "index_build_s": build_s, "latencies_s": latencies,
            "per_line_latencies_s": per_line}


def sqlite_searches(products: int, count: int) -> dict[str, object]:
    """`searches` on a scratch SQLite database (the embedded default), dropped afterwards."""
    with sqlite_database() as url:
        shop = _shop(url)
        try:
            return searches(shop, products, count)
        finally:
            shop.close()
