"""Understanding shopper messages: products, colours, sizes, stores, quantities and SKUs."""

from __future__ import annotations

import threading
import time

import pytest

from bot.kernel.models import Product
from bot.catalog import catalogue_index
from bot.catalog.stock_query import ProductMatch, StockQuery, StoreRef, UnknownProduct
from bot.catalog.matching import (
    match_products,
    match_store,
    parse_stock_query,
    product_options,
    resolve_colour,
    resolve_size,
)
from bot.catalog.catalogue_index import refresh_index
from bot.kernel.shop import Shop

BOOT, KINDER, HELVELLYN = "FS-BOOT-TRB", "FS-FLC-KIN", "FS-JKT-HLV"

# (message, product, colour, size, store, quantity)
PHRASINGS = [
    ("hav u got the trailblazer boots in brown size 9 at arndale?", BOOT, "Brown", "9", "arndale", None),
    ("do you have trailblazers in black 10.5", BOOT, "Black", "10.5", None, None),
    ("trailbalzer boot brn sz 9", BOOT, "Brown", "9", None, None),
    ("trail blazer hiking boots size nine and a half", BOOT, None, "9.5", None, None),
    ("r there any trailblazers left in 9 at altrinchum", BOOT, None, "9", "altrincham", None),
    ("boots in brown size 9.5", BOOT, "Brown", "9.5", None, None),
    ("any kinder fleeces in grey large at didsbury", KINDER, "Grey", "L", "didsbury", None),
    ("kinder fleece gray xl", KINDER, "Grey", "XL", None, None),
    ("the kinder in navy medium in stockport pls", KINDER, "Navy", "M", "stockport", None),
    ("kinda fleece navy med, arndale", KINDER, "Navy", "M", "arndale", None),
    ("x2 kinder fleece navy M", KINDER, "Navy", "M", None, 2),
    ("fleece in burgundy m", KINDER, "Burgundy", "M", None, None),
    ("helvelyn waterproof jackt in navy XL trafford centre", HELVELLYN, "Navy", "XL", "trafford", None),
    ("can i get 2 of the helvellyn jackets red m", HELVELLYN, "Red", "M", None, 2),
    ("trafford center - coniston jacket black L", "FS-JKT-CON", "Black", "L", "trafford", None),
    ("stormfront jacket navy 2xl", "FS-JKT-STF", "Navy", "XXL", None, None),
    ("parka black m", "FS-JKT-BRW", "Black", "M", None, None),
    ("rain jacket yellow small", "FS-JKT-PKW", "Yellow", "S", None, None),
    ("castlefield hoody navy s", "FS-TOP-HOD", "Navy", "S", None, None),
    ("stockport - fell running t shirt blue xs", "FS-TOP-TEE", "Blue", "XS", "stockport", None),
    ("I'm after some merino base layer tops in black XS", "FS-TOP-MER", "Black", "XS", None, None),
    ("grasmere flannel blue extra large", "FS-TOP-FLN", "Blue", "XL", None, None),
    ("ridge walking trousers stone 32", "FS-TRS-RDG", "Stone", "32", None, None),
    ("zip off trousers sand 34 waist", "FS-TRS-ZIP", "Sand", "34", None, None),
    ("dale shorts 32 navy", "FS-SHR-DAL", "Navy", "32", None, None),
    ("Can I reserve a Trekker 65L backpack in black at Altrincham?", "FS-PACK-TRK", "Black", None, "altrincham", None),
    ("summit 40 litre rucksack blue", "FS-PACK-SUM", "Blue", None, None, None),
    ("salfrd quays have dry bags?", "FS-PACK-DRY", None, None, "salford-quays", None),
    ("merino socks M grey", "FS-ACC-SCK", "Grey", "M", None, None),
    ("woolly hat", "FS-ACC-BEA", None, None, None, None),
    ("headtorch", "FS-ACC-TRC", None, None, None, None),
    ("2 person tent", "FS-CMP-TNT", None, None, None, None),
    ("family tent grey in altrincham", "FS-CMP-FAM", "Grey", None, "altrincham", None),
    ("camping stove in stock at the quays?", "FS-CMP-STV", None, None, "salford-quays", None),
    ("3 x sleeping mats navy", "FS-CMP-MAT", "Navy", None, None, 3),
    ("a couple of camp chairs green", "FS-CMP-CHR", "Green", None, None, 2),
    ("pennine trail shoe orange nine", "FS-SHOE-PEN", "Orange", "9", None, None),
    ("wellingtons green uk 5", "FS-BOOT-WLY", "Green", "5", None, None),
    ("chelsea boots black 8 at the arndale one", "FS-BOOT-CHL", "Black", "8", "arndale", None),
    ("hv u gt kinder flece in blu sz M @ didsbury", KINDER, "Blue", "M", "didsbury", None),
]


@pytest.mark.parametrize(("text", "product", "colour", "size", "store", "quantity"), PHRASINGS)
def test_shopper_phrasings(
    catalog_shop: Shop, text: str, product: str, colour: str | None, size: str | None, store: str | None,
    quantity: int | None,
) -> None:
    query = catalog_shop.run(parse_stock_query, text)

    assert (query.product_id, query.colour, query.size, query.store_id, query.quantity) == (
        product, colour, size, store, quantity
    )


def test_a_full_query_names_everything(catalog_shop: Shop) -> None:
    query = catalog_shop.run(parse_stock_query, "hav u got the trailblazer boots in brown size 9 at arndale?")

    assert query == StockQuery(
        product_id=BOOT, product_name="Trailblazer Waterproof Hiking Boot", colour="Brown", size="9",
        store_id="arndale", store_name="Arndale", quantity=None, sku=None,
    )


def test_a_typed_sku_gives_product_colour_and_size(catalog_shop: Shop) -> None:
    assert catalog_shop.run(parse_stock_query, "is fs-boot-trb-brn-9 in at salford?") == StockQuery(
        product_id=BOOT, product_name="Trailblazer Waterproof Hiking Boot", colour="Brown", size="9",
        store_id="salford-quays", store_name="Salford Quays", sku="FS-BOOT-TRB-BRN-9",
    )
    partial = catalog_shop.run(parse_stock_query, "FS-BOOT-TRB-BRN")
    assert (partial.product_id, partial.colour, partial.size, partial.sku) == (BOOT, "Brown", None, None)
    code = catalog_shop.run(parse_stock_query, "have u got FS-PACK-DAY in navy")
    assert (code.product_id, code.colour, code.sku) == ("FS-PACK-DAY", "Navy", None)


@pytest.mark.parametrize("text", ["boots", "fleece", "borrowdale", "rucksacks in stockport"])
def test_a_vague_product_is_left_open_with_the_shoppers_words(catalog_shop: Shop, text: str) -> None:
    query = catalog_shop.run(parse_stock_query, text)

    assert query.product_id is None
    assert query.product_name == text.split(" in ")[0]


def test_partial_messages_fill_only_what_they_say(catalog_shop: Shop) -> None:
    assert catalog_shop.run(parse_stock_query, "size 9") == StockQuery(size="9")
    assert catalog_shop.run(parse_stock_query, "navy pls") == StockQuery(colour="Navy")
    assert catalog_shop.run(parse_stock_query, "the arndale one") == StockQuery(store_id="arndale", store_name="Arndale")
    assert catalog_shop.run(parse_stock_query, "hello there") == StockQuery()


def test_a_colour_the_product_lacks_is_still_reported_for_the_caller_to_refuse(catalog_shop: Shop) -> None:
    query = catalog_shop.run(parse_stock_query, "trailblazer boots in red")

    assert (query.product_id, query.colour) == (BOOT, "Red")
    assert catalog_shop.run(resolve_colour, BOOT, "red") is None


def test_match_products_ranks_candidates_for_disambiguation(catalog_shop: Shop) -> None:
    borrowdale = catalog_shop.run(match_products, "borrowdale")
    assert {match.product_id for match in borrowdale} == {"FS-JKT-BRW", "FS-CMP-FAM"}

    fleeces = catalog_shop.run(match_products, "fleece", 2)
    assert [match.product_id for match in fleeces] == ["FS-FLC-KIN", "FS-FLC-MAM"]
    assert fleeces[0].score == fleeces[1].score == 100.0

    kinder = catalog_shop.run(match_products, "kinder fleese navy M at arndale")
    assert kinder[0] == ProductMatch(KINDER, "Kinder Fleece Jacket", 94.2)
    assert catalog_shop.run(match_products, "banana phone") == []


@pytest.mark.parametrize(
    ("text", "store"),
    [
        ("the arndale one", "arndale"), ("trafford centre", "trafford"), ("in stockport", "stockport"),
        ("Salford Quays", "salford-quays"), ("the quays", "salford-quays"), ("didsbury pls", "didsbury"),
        ("altrincam", "altrincham"), ("trafford", "trafford"), ("Manchester Arndale", "arndale"),
    ],
)
def test_match_store(catalog_shop: Shop, text: str, store: str) -> None:
    found = catalog_shop.run(match_store, text)

    assert found is not None and found.store_id == store


def test_match_store_returns_the_name_and_none_for_unknown_places(catalog_shop: Shop) -> None:
    assert catalog_shop.run(match_store, "trafford centre") == StoreRef("trafford", "Trafford Centre")
    assert catalog_shop.run(match_store, "leeds") is None
    assert catalog_shop.run(match_store, "kinder fleece") is None


@pytest.mark.parametrize(
    ("text", "colour"),
    [("gray", "Grey"), ("GREY", "Grey"), ("navy blue", "Navy"), ("nvy", "Navy"), ("burgandy", "Burgundy"),
     ("the grey one please", "Grey"), ("pink", None), ("black", None)],
)
def test_resolve_colour(catalog_shop: Shop, text: str, colour: str | None) -> None:
    assert catalog_shop.run(resolve_colour, KINDER, text) == colour


@pytest.mark.parametrize(
    ("product", "text", "size"),
    [
        (BOOT, "sz 9", "9"), (BOOT, "size nine", "9"), (BOOT, "9.5", "9.5"), (BOOT, "nine and a half", "9.5"),
        (BOOT, "9½", "9.5"), (BOOT, "uk 10", "10"), (BOOT, "5", None), (BOOT, "M", None),
        (KINDER, "medium", "M"), (KINDER, "m", "M"), (KINDER, "xl", "XL"), (KINDER, "extra large", "XL"),
        (KINDER, "XXL please", "XXL"), (KINDER, "9", None),
        ("FS-TRS-RDG", "32 waist", "32"), ("FS-PACK-DAY", "one size", "One Size"),
    ],
)
def test_resolve_size(catalog_shop: Shop, product: str, text: str, size: str | None) -> None:
    assert catalog_shop.run(resolve_size, product, text) == size


def test_product_options(catalog_shop: Shop) -> None:
    options = catalog_shop.run(product_options, BOOT)

    assert options.name == "Trailblazer Waterproof Hiking Boot"
    assert options.colours == ["Black", "Brown"]
    assert options.sizes == ["6", "6.5", "7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12"]
    assert (options.price_min_minor, options.price_max_minor, options.currency) == (8999, 9499, "GBP")
    assert catalog_shop.run(product_options, KINDER).sizes == ["XS", "S", "M", "L", "XL", "XXL"]
    with pytest.raises(UnknownProduct, match="FS-NOPE"):
        catalog_shop.run(product_options, "FS-NOPE")


def test_the_name_index_follows_catalogue_changes_without_a_restart(catalog_shop: Shop, monkeypatch) -> None:
    assert catalog_shop.run(parse_stock_query, "glissade boots").product_id is None
    with catalog_shop.uow() as uow:
        uow.session.get(Product, "FS-BOOT-SCA").name = "Glissade Mid Walking Boot"
        uow.commit()

    # The catalogue's fingerprint is compared at most once a second, off the request path: a lookup a second
    # later starts the check, and once it has found the rename, lookups see it.
    real_clock = catalogue_index.time.monotonic
    monkeypatch.setattr(catalogue_index.time, "monotonic", lambda: real_clock() + catalogue_index.SIGNATURE_MAX_AGE_SECONDS + 0.1)
    deadline = real_clock() + 20
    while catalog_shop.run(parse_stock_query, "glissade boots").product_id != "FS-BOOT-SCA":
        assert real_clock() < deadline, "the rename was never seen"
        time.sleep(0.02)


def test_no_lookup_waits_for_the_catalogue_check(catalog_shop: Shop, monkeypatch) -> None:
    # The check scans the product and variant tables: at 10,000 products it doubled the time of the search
    # that ran it (docs/performance.md). It runs on its own thread; a lookup only starts it.
    catalog_shop.run(parse_stock_query, "trailblazer boots")  # the index is built (and its signature taken) here
    checked_on: list[str] = []
    real_signature = catalogue_index._signature

    def recording(executor):  # type: ignore[no-untyped-def]
        checked_on.append(threading.current_thread().name)
        return real_signature(executor)

    monkeypatch.setattr(catalogue_index, "_signature", recording)
    real_clock = catalogue_index.time.monotonic
    monkeypatch.setattr(catalogue_index.time, "monotonic", lambda: real_clock() + catalogue_index.SIGNATURE_MAX_AGE_SECONDS + 0.1)
    assert catalog_shop.run(parse_stock_query, "trailblazer boots").product_id == "FS-BOOT-TRB"
    deadline = real_clock() + 20
    while not checked_on:
        assert real_clock() < deadline, "the catalogue was never checked"
        time.sleep(0.02)
    assert checked_on == ["catalogue-signature"]


def test_refresh_index_picks_up_a_change_the_signature_cannot_see(catalog_shop: Shop) -> None:
    assert catalog_shop.run(match_products, "scafell")[0].product_id == "FS-BOOT-SCA"
    with catalog_shop.uow() as uow:
        uow.session.get(Product, "FS-BOOT-SCA").name = "Snowdon Mid Walking Boot"  # same length as before
        uow.commit()
    assert catalog_shop.run(match_products, "snowdon") == []  # still the cached names

    refresh_index(catalog_shop.engine)

    assert catalog_shop.run(match_products, "snowdon")[0].product_id == "FS-BOOT-SCA"


@pytest.mark.parametrize("text", ["1", "2", "3", "reserve 2", "basket", "back", "one", "add that as well", "12 then"])
def test_numbers_and_shop_words_never_name_a_product(catalog_shop: Shop, text: str) -> None:
    assert catalog_shop.run(parse_stock_query, text).product_id is None


@pytest.mark.parametrize("text, quantity", [
    ("reserve 2", 2), ("add two", 2), ("ill take 3", 3), ("2 green camp chairs at altrincham please", 2),
    ("3 camping stoves at stockport pls", 3), ("12 then", None), ("2 person tent", None),
])
def test_counts_before_things_and_after_verbs(catalog_shop: Shop, text: str, quantity: int | None) -> None:
    assert catalog_shop.run(parse_stock_query, text).quantity == quantity


@pytest.mark.parametrize("text, product", [
    ("the camping stove", "FS-CMP-STV"), ("wellies", "FS-BOOT-WLY"), ("beanies", "FS-ACC-BEA"), ("2 man tent", "FS-CMP-TNT"),
    ("the walking shoes", "FS-SHOE-EDL"), ("half zip fleece", "FS-FLC-MAM"),
    # Words several products share describe a kind of thing, not one product: the shopper gets a list.
    ("trousers for walking", None), ("walking boots", None), ("fleeces", None), ("tents", None), ("jackets", None),
    # One word shared by chance is not a product ("fell" of Fell Running T-Shirt, "over" of Overtrousers).
    ("my boots fell apart after a month", None), ("is the ukraine war over", None), ("do u ever get lonely", None),
])
def test_a_product_is_named_only_by_words_few_products_share(catalog_shop: Shop, text: str, product: str | None) -> None:
    assert catalog_shop.run(parse_stock_query, text).product_id == product


def test_childrens_sizes_go_by_age(catalog_shop: Shop) -> None:
    query = catalog_shop.run(parse_stock_query, "kids puddle jacket for a 7 year old")
    assert (query.product_id, query.size) == ("FS-KID-JKT", "7-8")
    assert catalog_shop.run(resolve_size, "FS-KID-JKT", "age 11") == "11-12"
