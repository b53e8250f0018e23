"""Understanding what a shopper asks for: products, colours, sizes, stores and SKUs in free text.

Shoppers write "hav u got the trailblazer boots in brown size 9 at arndale?", "kinder fleese navy M",
"FS-BOOT-TRB-BRN-9" or "2 pairs of wellies, size nine and a half". This module turns that into a
`StockQuery` with rapidfuzz-backed matching against an in-memory index of names.

The index (names, colours, sizes, store names) is built from the database once per engine and reused:
the catalogue is small and changes rarely. Each call checks a cheap signature of the catalogue tables
and rebuilds when it moved (`bot.catalog.catalogue_index`; the seed loader drops it with `refresh_index()`).
Stock levels are never cached here; `bot.catalog.inventory` reads them at the time of asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from bot.catalog.catalogue_index import Index, index_of
from bot.catalog.query_parts import (
    age_size,
    normalise_size_word,
    take_colour,
    take_explicit_size,
    take_quantity,
    take_sku,
    take_store,
)
from bot.catalog.shopper_text import (
    RELATED_WEIGHT,
    STOPWORDS,
    normalise_text,
    shoppers_phrases,
    size_sort_key,
    stem_word,
)
from bot.catalog.stock_query import (
    ProductMatch,
    ProductOptions,
    StockQuery,
    StoreRef,
    UnknownOption,
    UnknownProduct,
)
from bot.kernel.models import Product, Variant
from bot.kernel.unit_of_work import UnitOfWork, read_only
from bot.markets.lookup import market_currency
from bot.markets.lookup import prices_in as market_prices


@dataclass(frozen=True)
class _QueryWord:
    said: str  # as the shopper wrote it ("boots", "trail blazer")
    weight: float  # how telling the word is across the catalogue (idf of its best match)
    matches: dict[str, float]  # catalogue token -> similarity 0..1


def _query_words(index: Index, text: str) -> list[_QueryWord]:
    """The words of `text` that mean something in the catalogue, with what each could match."""
    raw = [word for word in text.split() if word not in STOPWORDS]
    words: list[tuple[str, str]] = []  # (as said, stemmed)
    skip = False
    for position, word in enumerate(raw):
        if skip:
            skip = False
            continue
        if position + 1 < len(raw):
            joined = stem_word(word + raw[position + 1])
            if joined not in index.idf:  # "2 man" -> "2person"
                joined = stem_word(word) + stem_word(raw[position + 1])
            if joined in index.idf and stem_word(word) not in index.idf:  # "trail blazer" -> "trailblazer"
                words.append((f"{word} {raw[position + 1]}", joined))
                skip = True
                continue
        words.append((word, stem_word(word)))
    result = []
    for said, word in words:
        matches = _token_matches(index, word)
        if matches:
            best = max(matches, key=lambda token: (matches[token], index.idf[token]))
            result.append(_QueryWord(said, index.idf[best], matches))
    return result


def _token_matches(index: Index, word: str) -> dict[str, float]:
    if word in index.idf:
        return {word: 1.0}
    if len(word) < 4 or word[0].isdigit():
        return {}
    matches: dict[str, float] = {}
    if len(word) >= 5:
        for token, score, _ in process.extract(word, index.vocabulary, scorer=fuzz.ratio, score_cutoff=80, limit=5):
            if token[0] == word[0] or score >= 90:
                matches[token] = score / 100
    if len(word) >= 5:  # a typed-short word: "helve" for "helvellyn" (not "over" for "overtrousers")
        for token in index.vocabulary:
            if len(token) > len(word) + 1 and token.startswith(word):
                matches.setdefault(token, 0.8)
    return matches


def _score_products(index: Index, words: list[_QueryWord]) -> list[ProductMatch]:
    total = sum(word.weight for word in words)
    if total == 0:
        return []
    results = []
    for entry in index.products.values():
        earned = 0.0
        for word in words:
            best = max((similarity * entry.tokens[token] for token, similarity in word.matches.items()
                        if token in entry.tokens), default=0.0)
            earned += word.weight * best
        if earned > 0:
            results.append(ProductMatch(entry.product_id, entry.name, round(100 * earned / total, 1)))
    # Children's products after grown-ups' ones of the same score, unless the words were about children.
    for_kids = any(word.said in ("kid", "kids", "child", "children", "junior", "boys", "girls") for word in words)
    results.sort(key=lambda match: (-match.score, index.products[match.product_id].kids and not for_kids, match.name))
    return results


_MIN_SCORE = 40.0
_CLEAR_SCORE = 55.0
_CLEAR_MARGIN = 20.0


# A product is named only by a word that few products share: "trailblazer", "kinder", "stove" name one;
# "walking trousers" or "jackets" describe several, and the shopper gets a list to pick from instead.
_DISTINCTIVE_DF = 2
_NAMED_SCORE = 70.0


# Words in a few names that shoppers use for what they need, not to name that product: "something for the
# rain" is not the Packaway Rain Jacket, "packs down small" is not the Down Parka.
_NEED_WORDS = frozenset(stem_word(word) for word in "rain down light top day trail sun water camp family running warm".split())


def _names_it(index: Index, words: list[_QueryWord], product_id: str) -> bool:
    tokens = index.products[product_id].tokens
    return any(
        similarity >= 0.8 and tokens.get(token, 0.0) >= RELATED_WEIGHT and index.df.get(token, 99) <= _DISTINCTIVE_DF
        and token not in _NEED_WORDS
        for word in words
        for token, similarity in word.matches.items()
    )


def _pick_product(
    index: Index, matches: list[ProductMatch], colour: str | None, size: str | None, bare_words: list[str],
    words: list[_QueryWord] | None = None,
) -> str | None:
    """The one product the text means, or None when it is unclear which."""
    if not matches or matches[0].score < _CLEAR_SCORE:
        return None
    contenders = [match for match in matches if match.score >= matches[0].score - _CLEAR_MARGIN]
    named = words is None or (
        _names_it(index, words, matches[0].product_id) and (len(words) < 2 or matches[0].score >= _NAMED_SCORE)
    )
    if len(contenders) == 1 and named:
        return contenders[0].product_id
    # Several look alike ("boots"): keep those that come in the colour and size asked for.
    sizes = [size] if size else [value for value in map(normalise_size_word, bare_words) if value]
    fitting = [
        match for match in contenders
        if (colour is None or colour in index.products[match.product_id].colours)
        and (not sizes or any(value in index.products[match.product_id].sizes for value in sizes))
    ]
    if (colour or sizes) and len(fitting) == 1:
        return fitting[0].product_id
    return None


# --- public API -----------------------------------------------------------------------------------


@read_only
def parse_stock_query(uow: UnitOfWork, text: str) -> StockQuery:
    """Extracts product, colour, size, store, quantity and SKU from a shopper's message.

    Args:
        uow: Unit of work (read only).
        text: The message as typed, e.g. "hav u got the trailblazer boots in brown size 9 at arndale?".

    Returns:
        A `StockQuery` with whichever fields the text names; the rest are None.
    """
    index = index_of(uow)
    sku, product_id, colour, size, raw = take_sku(index, text)
    remaining = normalise_text(shoppers_phrases(raw))
    store, remaining = take_store(index, remaining)
    explicit_size, remaining = take_explicit_size(remaining)
    size = size or explicit_size
    quantity, remaining = take_quantity(remaining)
    said_colour, remaining = take_colour(index, remaining)
    colour = colour or said_colour

    product_words = _query_words(index, remaining)
    bare_words = [word for word in remaining.split() if word not in STOPWORDS]
    if product_id is None:
        product_id = _pick_product(index, _score_products(index, product_words), colour, size, bare_words, product_words)

    entry = index.products.get(product_id) if product_id else None
    if entry is not None:
        size = age_size(normalise_text(raw), entry.sizes) or size
    if size is None and entry is not None:
        size = next((value for value in map(normalise_size_word, bare_words) if value in entry.sizes), None)
    if entry is not None:
        colour = _catalogue_spelling(colour, entry.colours)
        size = _catalogue_spelling(size, entry.sizes)
    product_name = entry.name if entry else (" ".join(word.said for word in product_words) or None)
    matched = sum(1 for word in product_words if entry and any(token in entry.tokens for token in word.matches)) if entry else 0
    return StockQuery(
        matched_words=max(matched, 2 if sku or (entry and not product_words) else matched),
        product_id=product_id,
        product_name=product_name,
        colour=colour,
        size=size,
        store_id=store.store_id if store else None,
        store_name=store.name if store else None,
        quantity=quantity,
        sku=sku,
    )


def _catalogue_spelling(value: str | None, options: Iterable[str]) -> str | None:
    if value is None:
        return None
    return next((option for option in options if option.lower() == value.lower()), value)


@read_only
def match_products(uow: UnitOfWork, text: str, limit: int = 3) -> list[ProductMatch]:
    """Products that `text` could mean, best first, for "did you mean...?" questions.

    Store, colour, size and quantity words are ignored, so a whole message can be passed.
    """
    index = index_of(uow)
    _, product_id, _, _, raw = take_sku(index, text)
    if product_id is not None:
        return [ProductMatch(product_id, index.products[product_id].name, 100.0)]
    remaining = normalise_text(raw)
    _, remaining = take_store(index, remaining)
    _, remaining = take_explicit_size(remaining)
    _, remaining = take_quantity(remaining)
    _, remaining = take_colour(index, remaining)
    matches = _score_products(index, _query_words(index, remaining))
    return [match for match in matches if match.score >= _MIN_SCORE][: max(limit, 0)]


@read_only
def product_options(uow: UnitOfWork, product_id: str, market_id: str | None = None) -> ProductOptions:
    """The colours, sizes and price range of a product (in a market's prices, when it has them), read now.

    Raises:
        UnknownProduct: No product has that id.
    """
    product = uow.session.get(Product, product_id, options=[lazyload("*")])  # the variants are read below, as rows
    if product is None:
        raise UnknownProduct(f"no product with id {product_id!r}")
    rows = uow.session.execute(
        select(Variant.sku, Variant.colour, Variant.size, Variant.price_minor, Variant.currency)
        .where(Variant.product_id == product_id)
        .order_by(Variant.sku)
    ).all()
    colours = list(dict.fromkeys(row.colour for row in rows if row.colour))
    sizes = sorted({row.size for row in rows if row.size}, key=size_sort_key)
    in_market = market_prices(uow, market_id, [row.sku for row in rows])
    whole_market = bool(rows) and len(in_market) == len(rows)  # else the variants' own prices, one currency
    prices = [in_market[row.sku] if whole_market else row.price_minor for row in rows] or [0]
    return ProductOptions(
        product_id=product.id,
        name=product.name,
        brand=product.brand,
        category=product.category,
        colours=colours,
        sizes=sizes,
        price_min_minor=min(prices),
        price_max_minor=max(prices),
        currency=market_currency(uow, market_id) if whole_market else rows[0].currency if rows else "",
        description=product.description or "",
    )


@read_only
def price_range(
    uow: UnitOfWork, product_id: str, colour: str | None = None, size: str | None = None, market_id: str | None = None
) -> tuple[int, int, str]:
    """(lowest, highest, currency) of the product's variants in that colour and size (None: any), at the
    market's prices when it prices every one of them."""
    query = select(Variant.sku, Variant.price_minor, Variant.currency).where(Variant.product_id == product_id)
    if colour:
        query = query.where(Variant.colour == colour)
    if size:
        query = query.where(Variant.size == size)
    rows = uow.session.execute(query).all()
    if not rows:
        raise UnknownOption(f"{product_id} has no variant in {colour or 'any colour'} / {size or 'any size'}")
    in_market = market_prices(uow, market_id, [row.sku for row in rows])
    if len(in_market) == len(rows):
        return min(in_market.values()), max(in_market.values()), market_currency(uow, market_id)
    return min(row.price_minor for row in rows), max(row.price_minor for row in rows), min(row.currency for row in rows)


@read_only
def match_store(uow: UnitOfWork, text: str) -> StoreRef | None:
    """The store a phrase names ("the arndale one", "trafford centre", "in stockport"), if any."""
    store, _ = take_store(index_of(uow), normalise_text(text))
    return store


@read_only
def resolve_colour(uow: UnitOfWork, product_id: str, text: str) -> str | None:
    """The product's own colour that `text` names ("gray", "navy blue", "blk"), or None."""
    index = index_of(uow)
    entry = index.products.get(product_id)
    if entry is None:
        return None
    normalised = normalise_text(text)
    words = normalised.strip()
    direct = next((colour for colour in entry.colours if colour.lower() == words), None)
    if direct:
        return direct
    colour, _ = take_colour(index, normalised)
    return _catalogue_spelling(colour, entry.colours) if colour in entry.colours else None


@read_only
def resolve_options(uow: UnitOfWork, product_id: str, text: str) -> tuple[str | None, str | None]:
    """The colour and size of this product that `text` names ("navy M", "brown 10", "in L"), each or None."""
    return resolve_colour(uow, product_id, text), resolve_size(uow, product_id, text)


@read_only
def resolve_size(uow: UnitOfWork, product_id: str, text: str) -> str | None:
    """The product's own size that `text` names ("sz 9", "nine and a half", "medium", "32 waist"), or None."""
    entry = index_of(uow).products.get(product_id)
    if entry is None:
        return None
    normalised = normalise_text(text)
    by_age = age_size(normalised, entry.sizes)
    if by_age:
        return by_age
    size, remaining = take_explicit_size(normalised)
    candidates = [size] if size else [normalise_size_word(word) for word in remaining.split()]
    for candidate in candidates:
        spelled = _catalogue_spelling(candidate, entry.sizes)
        if spelled in entry.sizes:
            return spelled
    return None
