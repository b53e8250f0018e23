"""The in-memory index of the catalogue's names (products, colours, sizes, stores), built once per engine and
rebuilt when a cheap signature of the catalogue tables moves."""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Callable, Iterable, TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from bot.catalog.shopper_text import (
    BRAND_WEIGHT,
    CATEGORY_WEIGHT,
    COLOUR_SYNONYMS,
    GENERIC_STORE_WORDS,
    NAME_WEIGHT,
    RELATED,
    RELATED_WEIGHT,
    STOPWORDS,
    normalise_text,
    size_sort_key,
    stem_word,
)
from bot.catalog.stock_query import StoreRef
from bot.kernel.models import MarketPrice, Product, Store, Variant
from bot.kernel.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _ProductEntry:
    product_id: str
    name: str
    tokens: dict[str, float]  # word -> weight (name words 1.0, related words less)
    colours: tuple[str, ...]
    sizes: tuple[str, ...]
    kids: bool = False


@dataclass(frozen=True)
class Index:
    products: dict[str, _ProductEntry]
    idf: dict[str, float]
    df: dict[str, int]  # token -> how many products have it
    vocabulary: tuple[str, ...]
    skus: dict[str, tuple[str, str, str, str]]  # upper-case SKU -> (SKU, product id, colour, size)
    product_codes: dict[str, str]  # upper-case product id -> product id
    colours: dict[str, str]  # lower-case word or synonym -> catalogue spelling
    store_aliases: dict[str, StoreRef]  # normalised name -> store


@dataclass
class _CachedIndex:
    signature: tuple[object, ...]
    built_at: float  # monotonic seconds
    checked_at: float  # when the signature was last compared with the database
    built: dict[str, object]  # name -> a structure derived from the catalogue (the name index, the search index)
    checking: bool = False  # a background check of the signature is running
    changed: bool = False  # a check found the catalogue changed: the next request rebuilds


# Engine's connection pool -> what was built from its catalogue. Weak keys: a disposed test engine frees it.
_cache: "weakref.WeakKeyDictionary[Pool, _CachedIndex]" = weakref.WeakKeyDictionary()
# The signature misses a rename that keeps every length; rebuilding now and then bounds how long that lasts.
INDEX_MAX_AGE_SECONDS = 300.0
# The signature scans the catalogue tables; checking it at most once a second keeps that off every message
# (the bench measured stock lookups at 1M inventory rows going from p50 21.8 to 9.0 ms).
SIGNATURE_MAX_AGE_SECONDS = 1.0
_cache_lock = threading.Lock()

Built = TypeVar("Built")


def refresh_index(engine: Engine | None = None) -> None:
    """Forgets the cached name index (of one engine, or of all), so the next call rebuilds it."""
    with _cache_lock:
        if engine is None:
            _cache.clear()
        else:
            _cache.pop(engine.pool, None)


def _signature(executor: Session | Connection) -> tuple[object, ...]:
    """A cheap fingerprint of the catalogue tables: changes when rows, their names, tags or prices change."""

    def total_length(*columns: object) -> object:
        lengths = [func.length(column) for column in columns]
        return select(func.coalesce(func.sum(sum(lengths[1:], lengths[0])), 0)).scalar_subquery()

    row = executor.execute(
        select(
            select(func.count()).select_from(Product).scalar_subquery(),
            total_length(Product.name, Product.brand, Product.category, Product.tags, Product.audience),
            select(func.count()).select_from(Variant).scalar_subquery(),
            total_length(Variant.colour, Variant.size, Variant.sku),
            select(func.coalesce(func.sum(Variant.price_minor), 0)).scalar_subquery(),
            select(func.count()).select_from(Store).scalar_subquery(),
            total_length(Store.name),
            select(func.count()).select_from(MarketPrice).scalar_subquery(),  # the search filters on market prices
            select(func.coalesce(func.sum(MarketPrice.price_minor), 0)).scalar_subquery(),
        )
    ).one()
    return tuple(row)


def catalogue_snapshot(uow: UnitOfWork, name: str, build: Callable[[UnitOfWork], Built]) -> Built:
    """A structure built from the catalogue tables (an index), cached per engine and rebuilt when they change.

    Every structure of one engine shares one signature check, so a second index costs no extra query. The
    check runs off the request path: a request that finds the last check over a second old serves the
    cached structures and starts a check on a background thread; when that finds the catalogue changed, the
    next request rebuilds. The profile at 10,000 products (docs/performance.md) showed the check (a scan
    of the product and variant tables) on the request that ran it doubling that request's time.
    """
    # Keyed by the connection pool, which a read-only view of the engine shares with the engine itself.
    engine = uow.session.get_bind()
    pool = engine.pool
    with _cache_lock:
        cached = _cache.get(pool)
    now = time.monotonic()
    if cached is None or cached.changed or now - cached.built_at >= INDEX_MAX_AGE_SECONDS:
        cached = _CachedIndex(signature=_signature(uow.session), built_at=now, checked_at=now, built={})
        with _cache_lock:
            _cache[pool] = cached
    elif now - cached.checked_at >= SIGNATURE_MAX_AGE_SECONDS:
        with _cache_lock:
            start = not cached.checking
            cached.checking = True
        if start:
            threading.Thread(target=_recheck, args=(engine, cached), name="catalogue-signature", daemon=True).start()
    assert cached is not None
    if name not in cached.built:
        cached.built[name] = build(uow)
    return cached.built[name]  # type: ignore[return-value]


def _recheck(engine: Engine, cached: _CachedIndex) -> None:
    """Compares the catalogue's signature with the cached one (background thread)."""
    try:
        with engine.connect() as connection:
            signature = _signature(connection)
    except Exception:  # noqa: BLE001 - a failed check must not hide a change: rebuild on the next request
        logger.warning("catalogue signature check failed; the index is rebuilt on the next request", exc_info=True)
        signature = None
    cached.changed = signature != cached.signature
    cached.checked_at = time.monotonic()
    cached.checking = False


def index_of(uow: UnitOfWork) -> Index:
    return catalogue_snapshot(uow, "names", _build_index)


def _name_tokens(text: str) -> list[str]:
    # A bare number ("2" of "2-Person", "3" and "1" of "3-in-1") never names a product on its own: shoppers
    # type numbers for quantities, sizes and choices. It still counts joined to its word ("2person").
    return [stem_word(word) for word in normalise_text(text).split() if word not in STOPWORDS]


def _indexable(word: str) -> bool:
    return not word.replace(".", "").isdigit()


def _product_tokens(name: str, brand: str, category: str) -> dict[str, float]:
    tokens: dict[str, float] = {}

    def add(word: str, weight: float) -> None:
        if word and tokens.get(word, 0.0) < weight:
            tokens[word] = weight

    words = _name_tokens(name)
    for word in filter(_indexable, words):
        add(word, NAME_WEIGHT)
        for related in RELATED.get(word, ()):
            add(stem_word(related), RELATED_WEIGHT)
    for first, second in zip(words, words[1:]):  # "head torch" also as "headtorch"
        add(stem_word(first + second), NAME_WEIGHT)
    for word in filter(_indexable, _name_tokens(brand)):
        add(word, BRAND_WEIGHT)
    for word in filter(_indexable, _name_tokens(category)):
        add(word, CATEGORY_WEIGHT)
    return tokens


def _build_index(uow: UnitOfWork) -> Index:
    products = uow.session.execute(select(Product.id, Product.name, Product.brand, Product.category, Product.audience)).all()
    variants = uow.session.execute(
        select(Variant.sku, Variant.product_id, Variant.colour, Variant.size).order_by(Variant.sku)
    ).all()
    colours_by_product: dict[str, list[str]] = {}
    sizes_by_product: dict[str, list[str]] = {}
    skus: dict[str, tuple[str, str, str, str]] = {}
    for sku, product_id, colour, size in variants:
        skus[sku.upper()] = (sku, product_id, colour, size)
        if colour and colour not in colours_by_product.setdefault(product_id, []):
            colours_by_product[product_id].append(colour)
        if size and size not in sizes_by_product.setdefault(product_id, []):
            sizes_by_product[product_id].append(size)

    entries: dict[str, _ProductEntry] = {}
    for product_id, name, brand, category, audience in products:
        entries[product_id] = _ProductEntry(
            product_id=product_id,
            name=name,
            tokens=_product_tokens(name, brand or "", category),
            colours=tuple(colours_by_product.get(product_id, [])),
            sizes=tuple(sorted(sizes_by_product.get(product_id, []), key=size_sort_key)),
            kids=audience == "kids",
        )
    document_frequency: dict[str, int] = {}
    for entry in entries.values():
        for token in entry.tokens:
            document_frequency[token] = document_frequency.get(token, 0) + 1
    total = max(len(entries), 1)
    idf = {token: math.log(1 + total / count) for token, count in document_frequency.items()}

    colours = {colour.lower(): colour for entry in entries.values() for colour in entry.colours}
    for synonym, target in COLOUR_SYNONYMS.items():
        if target in colours:
            colours.setdefault(synonym, colours[target])

    store_rows = uow.session.execute(select(Store.id, Store.name).order_by(Store.id)).all()
    return Index(
        products=entries,
        idf=idf,
        df=document_frequency,
        vocabulary=tuple(sorted(idf)),
        skus=skus,
        product_codes={product_id.upper(): product_id for product_id in entries},
        colours=colours,
        store_aliases=_store_aliases(store_rows),
    )


def _store_aliases(rows: Iterable[tuple[str, str]]) -> dict[str, StoreRef]:
    """Names a store goes by: its name, its id, and each distinctive word of its name."""
    rows = list(rows)
    word_owners: dict[str, set[str]] = {}
    candidates: dict[str, set[str]] = {}
    for store_id, name in rows:
        aliases = {normalise_text(name).strip(), normalise_text(store_id.replace("-", " ")).strip()}
        for word in normalise_text(name).split():
            if len(word) >= 4 and word not in GENERIC_STORE_WORDS:
                word_owners.setdefault(word, set()).add(store_id)
                aliases.add(word)
        candidates[store_id] = aliases
    aliases: dict[str, StoreRef] = {}
    for store_id, name in rows:
        for alias in candidates[store_id]:
            # A word shared by two store names ("manchester") names neither of them.
            if len(word_owners.get(alias, {store_id})) == 1:
                aliases[alias] = StoreRef(store_id, name)
    return aliases


# --- pulling things out of text -------------------------------------------------------------------
