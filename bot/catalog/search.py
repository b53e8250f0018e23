"""Browsing the catalogue: "waterproof jackets", "warm jacket for a kid", "tent for 4 people", "something under £50".

A real search over the database, not a list: the words are matched (typos allowed) against each product's
name, category, tags, brand and description, with constraints read from the message (a price limit, an
audience, how many a tent sleeps, a colour). The index is built in memory from the catalogue tables and
rebuilt when they change (`catalogue_snapshot`); stock is read from the database at the time of asking.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from typing import Iterable

from rapidfuzz import fuzz, process
from sqlalchemy import bindparam, func, select
from sqlalchemy.sql import Select

from bot.catalog.availability import available_expression
from bot.kernel.models import Inventory, Product, Store, Variant
from bot.catalog.shopper_text import (
    COLOUR_SYNONYMS as _COLOUR_SYNONYMS,
    RELATED as _RELATED,
    STOPWORDS as _STOPWORDS,
    normalise_text,
    stem_word,
)
from bot.catalog.catalogue_index import catalogue_snapshot
from bot.catalog.search_words import ADVICE, NEEDS, QUERY_STOPWORDS, Constraints, read_request
from bot.kernel.unit_of_work import UnitOfWork, read_only
from bot.markets.lookup import market_currency, product_price_ranges

# Field weights: a word in the name says more than the same word in the description.
_WEIGHTS = {"name": 3.0, "category": 1.5, "tags": 2.0, "brand": 1.0, "description": 0.5}
_MOST = re.compile(r"\b(?:warmest|lightest|biggest|largest|smallest|roomiest)\b", re.I)
_CHEAPEST = re.compile(r"\b(?:cheapest|least expensive|lowest price|cheap)\b", re.I)
_DEAREST = re.compile(r"\b(?:most expensive|priciest|dearest|top of the range)\b", re.I)
# "hats and gloves", "a tent, a stove and a mat": each thing is looked for on its own.
_AND = re.compile(r"\s*(?:,|\band\b|&|\bplus\b)\s*", re.I)
MAX_HITS = 5


@dataclass(frozen=True)
class ProductHit:
    product_id: str
    name: str
    price_min_minor: int
    price_max_minor: int
    currency: str
    available: int  # at the store asked about, else across every store
    stores_with_stock: int
    store_name: str | None  # the store `available` is for, when one was given
    colours: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[ProductHit, ...]
    described: str  # what the constraints were, for the reply: " under £50 for kids"
    cheapest_instead: bool = False  # nothing met the price limit: these are the cheapest that fit otherwise
    best_first: bool = False  # the first hit is the answer ("the cheapest rucksack", the tent for exactly two)
    # A limit named in a currency the market does not sell in ("alle 100 euroa" in Manchester): (amount, currency),
    # not applied (no exchange rates); `currency` is the one the hits are priced in, for the reply to say so.
    foreign_limit: tuple[Decimal, str] | None = None
    currency: str = ""


@dataclass(frozen=True)
class _Doc:
    product_id: str
    name: str
    fields: dict[str, frozenset[str]]
    audience: str
    sleeps: int | None
    volume: float | None
    colours: frozenset[str]
    price_min: int
    price_max: int
    currency: str
    # market id -> (lowest, highest, currency) at that market's prices, where the market prices every variant
    markets: dict[str, tuple[int, int, str]]

    def prices(self, market_id: str | None) -> tuple[int, int, str]:
        """(lowest, highest, currency) where the shopper buys it: the market's prices, else the variants' own."""
        return self.markets.get(market_id or "", (self.price_min, self.price_max, self.currency))


@dataclass(frozen=True)
class _SearchIndex:
    docs: dict[str, _Doc]
    postings: dict[str, dict[str, float]]  # token -> product id -> weight
    tagged: dict[str, dict[str, float]]  # tag token -> product id -> weight (what products are for)
    vocabulary: tuple[str, ...]
    idf: dict[str, float]
    colours: dict[str, str]  # word -> catalogue colour
    kinds: frozenset[str]  # category tokens: the words that say what kind of thing ("trousers", "jacket")
    heads: frozenset[str]  # the kinds and the last word of each product's name ("boot", "tent")
    currency: str  # the variants' own currency (of most products): limits without a market are read in it


def _tokens(text: str) -> frozenset[str]:
    return frozenset(stem_word(word) for word in normalise_text(text).split() if word not in _STOPWORDS and not word.isdigit())


def _build(uow: UnitOfWork) -> _SearchIndex:
    prices = {
        product_id: (low, high, currency)
        for product_id, low, high, currency in uow.session.execute(
            select(Variant.product_id, func.min(Variant.price_minor), func.max(Variant.price_minor), func.min(Variant.currency))
            .group_by(Variant.product_id)
        )
    }
    in_markets = product_price_ranges(uow)
    colours: dict[str, set[str]] = {}
    for product_id, colour in uow.session.execute(select(Variant.product_id, Variant.colour).distinct()):
        if colour:
            colours.setdefault(product_id, set()).add(colour)
    docs: dict[str, _Doc] = {}
    postings: dict[str, dict[str, float]] = {}
    tagged: dict[str, dict[str, float]] = {}
    rows = uow.session.execute(
        select(Product.id, Product.name, Product.category, Product.tags, Product.brand, Product.description,
               Product.audience, Product.sleeps, Product.volume_l)
    )
    for product_id, name, category, tags, brand, description, audience, sleeps, volume in rows:
        if product_id not in prices:
            continue  # nothing to sell
        name_tokens = _tokens(name)
        # Words shoppers use for it that its name lacks ("rucksack" for a backpack) count as tags.
        related = frozenset(stem_word(word) for token in name_tokens for word in _RELATED.get(token, ()))
        fields = {
            "name": name_tokens, "category": _tokens(category), "tags": _tokens(tags or "") | related,
            "brand": _tokens(brand or ""), "description": _tokens(description or ""),
        }
        low, high, currency = prices[product_id]
        docs[product_id] = _Doc(product_id, name, fields, audience or "adults", sleeps, volume,
                                frozenset(c.lower() for c in colours.get(product_id, ())), low, high, currency,
                                in_markets.get(product_id, {}))
        for token in fields["tags"]:
            tagged.setdefault(token, {})[product_id] = _WEIGHTS["tags"]
        for field, tokens in fields.items():
            for token in tokens:
                weights = postings.setdefault(token, {})
                weights[product_id] = max(weights.get(product_id, 0.0), _WEIGHTS[field])
    total = max(len(docs), 1)
    idf = {token: math.log(1 + total / len(owners)) for token, owners in postings.items()}
    all_colours = {colour for doc in docs.values() for colour in doc.colours}
    colour_words = {colour: colour for colour in all_colours}
    colour_words.update({synonym: target for synonym, target in _COLOUR_SYNONYMS.items() if target in all_colours})
    kinds = frozenset(token for doc in docs.values() for token in doc.fields["category"])
    heads = kinds | {stem_word(normalise_text(doc.name).split()[-1]) for doc in docs.values() if normalise_text(doc.name).split()}
    by_currency = Counter(doc.currency for doc in docs.values())
    currency = by_currency.most_common(1)[0][0] if by_currency else "GBP"
    return _SearchIndex(docs, postings, tagged, tuple(sorted(postings)), idf, colour_words, kinds, heads, currency)


def _query_tokens(index: _SearchIndex, rest: str) -> list[tuple[str, dict[str, float]]]:
    """Each meaningful word with the index tokens it matches (itself, or near spellings)."""
    result = []
    for word in normalise_text(rest).split():
        if word in QUERY_STOPWORDS or word.isdigit() or len(word) < 3:
            continue
        stem = stem_word(word)
        # A need ("rain", "munro") is met by products tagged for it: "#waterproof" looks in tags only.
        needs = {f"#{stem_word(need)}": 0.8 for need in NEEDS.get(stem, NEEDS.get(word, ())) if stem_word(need) in index.tagged}
        if stem in index.postings:
            result.append((stem, {stem: 1.0, **needs}))
            continue
        if needs:
            result.append((stem, needs))
            continue
        if len(stem) >= 5:
            near = process.extract(stem, index.vocabulary, scorer=fuzz.ratio, score_cutoff=84, limit=3)
            matches = {token: score / 100 for token, score, _ in near if token[0] == stem[0]}
            if matches:
                result.append((stem, matches))
                continue
        result.append((stem, {}))  # a word we don't stock anything for ("pizza")
    return result


def _fitting(index: _SearchIndex, product_ids: Iterable[str], constraints: Constraints, market_id: str | None = None) -> list[str]:
    """The products that meet the limits. One inline test per product, each limit prepared once: at 10,000
    products this filter ran for thousands of candidates per search.

    Prices are the market's (a Jakarta shopper's "under 500 ribu" is compared with rupiah prices); a product
    priced in another currency than the limit's cannot be said to be under it, and is left out."""
    excluded = [stem_word(word) for word in constraints.excluded]  # "a warm top, not a fleece"
    price_max, price_min, kids, sleeps = constraints.price_max, constraints.price_min, constraints.kids, constraints.sleeps
    colour = constraints.colour.lower() if constraints.colour is not None else None
    if not excluded and price_max is None and price_min is None and not kids and sleeps is None and colour is None:
        return list(product_ids)
    docs = index.docs
    priced = price_max is not None or price_min is not None
    currency = constraints.currency
    return [
        pid for pid in product_ids
        if (doc := docs[pid]) is not None
        and (not priced or (price := doc.prices(market_id))[2] == currency or currency is None)
        and (price_max is None or price[0] <= price_max)
        and (price_min is None or price[1] >= price_min)
        and (not kids or doc.audience == "kids")
        and (sleeps is None or (doc.sleeps is not None and doc.sleeps >= sleeps))
        and (colour is None or colour in doc.colours)
        and not (excluded and any(word in doc.fields["name"] for word in excluded))
    ]


def _matching(index: _SearchIndex, rest: str, constraints: Constraints, advice: bool, market_id: str | None = None) -> tuple[list[str], dict[str, float]]:
    """Products that fit the words of `rest` and the limits, best first, with their scores."""
    words = _query_tokens(index, rest)
    meaningful = [(word, matches) for word, matches in words if matches]
    # "not a fleece" alone is no request; nor is the currency limits are read in
    has_constraint = replace(constraints, excluded=(), currency=None, foreign=None) != Constraints()
    if not meaningful and not has_constraint:
        return [], {}
    if words and len(meaningful) < len(words) / 2 and not has_constraint and not advice:
        return [], {}  # mostly words we have nothing for: not a shopping request we can serve
    scores: dict[str, float] = {}
    matched_words: dict[str, int] = {}
    for _word, matches in meaningful:
        best: dict[str, float] = {}
        needs: dict[str, float] = {}  # a product meeting more of a need's aspects fits it better (warm and insulated)
        for token, similarity in matches.items():
            tag = token.removeprefix("#")
            idf = index.idf[tag]  # lookups hoisted out of the loop over every product of the token
            if token.startswith("#"):
                for product_id, weight in index.tagged[tag].items():
                    needs[product_id] = needs.get(product_id, 0.0) + similarity * weight * idf
            else:
                for product_id, weight in index.postings[token].items():
                    value = similarity * weight * idf  # > 0: similarity, weight and idf all are
                    if value > best.get(product_id, 0.0):
                        best[product_id] = value
        for product_id, value in needs.items():
            best[product_id] = max(best.get(product_id, 0.0), value)
        for product_id, value in best.items():
            scores[product_id] = scores.get(product_id, 0.0) + value
            matched_words[product_id] = matched_words.get(product_id, 0) + 1
    if not meaningful:
        return _fitting(index, index.docs, constraints, market_id), scores
    # The products that meet the most of the words ("waterproof jacket": both), or all but one of them.
    fits = _fitting(index, scores, constraints, market_id)
    best_count = max((matched_words[pid] for pid in fits), default=0)
    # All the words where several products have them all ("hiking boots"), else all but one ("camping trip").
    complete = [pid for pid in fits if matched_words[pid] == best_count]
    candidates = complete if len(complete) > 1 else [pid for pid in fits if matched_words[pid] >= max(best_count - 1, 1)]
    # "walking jacket": short of both words, a jacket before a walking shoe. The kind of thing is the last word
    # naming a category ("waterproof trousers for walking": trousers), else the last word.
    head = next((matches for _word, matches in reversed(meaningful) if set(matches) & index.kinds), meaningful[-1][1])
    if best_count < len(meaningful) and (of_kind := [pid for pid in candidates if any(pid in index.postings.get(t, {}) for t in head)]):
        candidates = of_kind
    # Products named by the words ("fleeces": the two fleeces) before those that only share a category.
    top = max((scores[pid] for pid in candidates), default=0.0)
    fitting = [pid for pid in candidates if scores[pid] >= 0.6 * top]
    fitting.sort(key=lambda pid: -scores.get(pid, 0.0))
    return fitting, scores


def _rank(index: _SearchIndex, text: str, market_id: str | None = None, currency: str | None = None,
          **overrides: int | None) -> tuple[list[str], Constraints]:
    """Products for `text`, best first, and the limits read from it (prices in `currency`, the market's)."""
    constraints, rest = read_request(text, index.colours, currency or index.currency)
    constraints = replace(constraints, **overrides)
    advice = bool(ADVICE.search(text))
    if constraints.kids and not _matching(index, rest, constraints, advice, market_id)[0]:
        constraints = replace(constraints, kids=False)  # "a hoodie for my son": we only make grown-up hoodies
    parts = [part for part in _AND.split(rest) if part.strip()]
    found = [_matching(index, part, constraints, advice, market_id)[0] for part in parts] if len(parts) > 1 else []
    if len(found) > 1 and all(found):
        # "hats and gloves": the best of each thing in turn (beanie, gloves, sun hat, ...).
        fitting = []
        for position in range(max(map(len, found))):
            fitting += [group[position] for group in found if position < len(group) and group[position] not in fitting]
    else:
        fitting, _ = _matching(index, rest, constraints, advice, market_id)
    if constraints.sleeps is not None:
        fitting.sort(key=lambda pid: (index.docs[pid].sleeps or 99) - constraints.sleeps)  # closest fit first
    if not constraints.kids:  # children's things only when children were mentioned, or nothing else fits
        adults = [pid for pid in fitting if index.docs[pid].audience != "kids"]
        fitting = adults or fitting
    if _CHEAPEST.search(text) or constraints.foreign is not None:  # a limit not applied: the cheapest first still
        fitting.sort(key=lambda pid: index.docs[pid].prices(market_id)[0])
    elif _DEAREST.search(text):
        fitting.sort(key=lambda pid: -index.docs[pid].prices(market_id)[1])
    elif (most := _MOST.search(text)) is not None:  # "the warmest jacket": the warmest first
        quality = next(name for name, pattern in _QUALITY_WORDS if pattern.search(most.group(0)))
        fitting.sort(key=lambda pid: -(_measure(index.docs[pid], quality) or float("-inf")))
    return fitting, constraints


def _stock(uow: UnitOfWork, product_ids: list[str], store_id: str | None, among: set[str] | None = None) -> dict[str, tuple[int, int]]:
    """product id -> (units available, stores with any) for a handful of products, read now (`among`: only these stores)."""
    totals: dict[str, dict[str, int]] = {}
    for product_id, row_store, units in uow.session.connection().execute(_stock_query(), {"product_ids": product_ids}):
        if (store_id is None or row_store == store_id) and (among is None or row_store in among):
            per_store = totals.setdefault(product_id, {})
            per_store[row_store] = per_store.get(row_store, 0) + units
    return {pid: (sum(stores.values()), len(stores)) for pid, stores in totals.items()}


@cache
def _stock_query() -> Select:
    """_stock's statement, built once, on the tables. The store is compared in Python on purpose: with
    `inventory.store_id = ?` in SQL, SQLite's planner scanned the store's whole inventory instead of
    looking up the 15 products' SKUs (EXPLAIN QUERY PLAN at 10,000 products)."""
    variants, inventory, stores = Variant.__table__, Inventory.__table__, Store.__table__
    available = available_expression(stores.c.safety_buffer, inventory.c)
    return (
        select(variants.c.product_id, inventory.c.store_id, available)
        .join(inventory, inventory.c.sku == variants.c.sku)
        .join(stores, stores.c.id == inventory.c.store_id)
        .where(variants.c.product_id.in_(bindparam("product_ids", expanding=True)), available > 0)
    )


@read_only
def search_products(uow: UnitOfWork, text: str, store_id: str | None = None, limit: int = MAX_HITS, market_id: str | None = None) -> SearchResult:
    """Up to `limit` products that fit the words and limits of `text`, in stock first.

    Args:
        text: what the shopper typed, in the engine's English ("warm jacket for a kid under £60", "jacket under 500 ribu").
        store_id: count stock at this store only (the one the conversation is about), else at all stores.
        market_id: without a store, count the stores of this market only (a Jakarta shopper is not told of Manchester's).
            Price limits are in its currency and compared with its prices (a number alone is in its currency).
    """
    index = catalogue_snapshot(uow, "search", _build)
    if market_id is None and store_id:
        market_id = uow.session.scalar(select(Store.market_id).where(Store.id == store_id))
    currency = market_currency(uow, market_id) or index.currency
    ranked, constraints = _rank(index, text, market_id, currency)
    cheapest_instead = False
    if not ranked and constraints.price_max is not None:
        # "stocking fillers under a tenner" and nothing is: the cheapest things that otherwise fit.
        ranked, _ = _rank(index, f"{text} cheapest", market_id, currency, price_max=None, price_min=constraints.price_min or 0)
        cheapest_instead = bool(ranked)
    if not ranked:
        return SearchResult((), constraints.described(), foreign_limit=constraints.foreign, currency=currency)
    shortlist = ranked[: max(limit * 3, limit)]
    among = set(uow.session.scalars(select(Store.id).where(Store.market_id == market_id))) if market_id and not store_id else None
    stock = _stock(uow, shortlist, store_id, among or None)
    store_name = uow.session.scalar(select(Store.name).where(Store.id == store_id)) if store_id else None
    # Keep the search order, but what can be had comes before what cannot.
    shortlist.sort(key=lambda pid: stock.get(pid, (0, 0))[0] <= 0)
    if _CHEAPEST.search(text) or _DEAREST.search(text) or _MOST.search(text) or cheapest_instead:
        limit = min(limit, 3)  # "the cheapest jacket": the answer first, a couple of others after
    hits = []
    for product_id in shortlist[:limit]:
        doc = index.docs[product_id]
        units, stores = stock.get(product_id, (0, 0))
        hits.append(ProductHit(product_id, doc.name, doc.price_min, doc.price_max, doc.currency, units, stores, store_name,
                               tuple(sorted(doc.colours))))
    first = index.docs[shortlist[0]]
    best_first = bool(_CHEAPEST.search(text) or _DEAREST.search(text) or _MOST.search(text)) or (
        constraints.sleeps is not None and first.sleeps == constraints.sleeps)
    return SearchResult(tuple(hits), constraints.described(), cheapest_instead, best_first, constraints.foreign, currency)


@read_only
def names_a_kind(uow: UnitOfWork, text: str) -> bool:
    """Whether `text` names a kind of thing the catalogue sells: a category ("footwear") or the last word of a
    product's name ("boots", "a tent"), near spellings included; "waterproof" or "for kids" alone do not."""
    index = catalogue_snapshot(uow, "search", _build)
    return any(set(matches) & index.heads for _word, matches in _query_tokens(index, text))


# "the biggest one", "the warmer one" among products just listed: how each quality is measured.
_QUALITY_WORDS = (
    ("big", re.compile(r"\b(?:biggest|largest|bigger|larger|roomiest|most room)\b", re.I)),
    ("small", re.compile(r"\b(?:smallest|smaller|most compact|more compact)\b", re.I)),
    ("warm", re.compile(r"\b(?:warmest|warmer|cosiest|cosier)\b", re.I)),
    ("light", re.compile(r"\b(?:lightest|lighter)\b", re.I)),
    ("cheap", re.compile(r"\b(?:cheapest|cheaper|less expensive)\b", re.I)),
    ("dear", re.compile(r"\b(?:dearest|dearer|most expensive|more expensive|pricier|priciest)\b", re.I)),
)
_QUALITY_TAGS = {"warm": {"warm", "insul", "insulated"}, "light": {"lightweight", "packable"}}


def _measure(doc: _Doc, quality: str) -> float | None:
    if quality in ("big", "small"):
        size = doc.volume or doc.sleeps
        return None if size is None else (size if quality == "big" else -size)
    if quality == "cheap":
        return -doc.price_min
    if quality == "dear":
        return doc.price_max
    wanted = {stem_word(tag) for tag in _QUALITY_TAGS[quality]}
    value = float(len(doc.fields["tags"] & wanted))
    if quality == "warm" and stem_word("lightweight") in doc.fields["tags"]:
        value -= 0.5  # a light fleece is less warm than a heavy one with the same tags
    return value or None


@read_only
def best_of(uow: UnitOfWork, product_ids: list[str], text: str) -> str | None:
    """The product among `product_ids` that is most what `text` asks ("the biggest one"), or None when the
    words name no quality we can measure or the products don't differ in it."""
    quality = next((name for name, pattern in _QUALITY_WORDS if pattern.search(text)), None)
    if quality is None:
        return None
    index = catalogue_snapshot(uow, "search", _build)
    measured = [(value, pid) for pid in product_ids if pid in index.docs and (value := _measure(index.docs[pid], quality)) is not None]
    if not measured:
        return None
    top = max(value for value, _ in measured)
    best = [pid for value, pid in measured if value == top]
    return best[0] if len(best) == 1 else None
