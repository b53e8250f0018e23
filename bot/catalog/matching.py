"""Understanding what a shopper asks for: products, colours, sizes, stores and SKUs in free text.

Shoppers write "hav u got the trailblazer boots in brown size 9 at arndale?", "kinder fleese navy M",
"FS-BOOT-TRB-BRN-9" or "2 pairs of wellies, size nine and a half". This module turns that into a
`StockQuery` with rapidfuzz-backed matching against an in-memory index of names.

The index (names, colours, sizes, store names) is built from the database once per engine and reused:
the catalogue is small and changes rarely. Each call checks a cheap signature of the catalogue tables
and rebuilds when it moved, and `refresh_index()` drops it explicitly (the seed loader calls it).
Stock levels are never cached here; `bot.catalog.inventory` reads them at the time of asking.
"""

from __future__ import annotations

import math
import re
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Callable, Iterable, TypeVar

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from bot.kernel.models import Product, Store, Variant
from bot.markets.lookup import market_currency
from bot.markets.lookup import prices_in as market_prices
from bot.kernel.unit_of_work import UnitOfWork, read_only

Named = TypeVar("Named")

# --- public results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreRef:
    """A store as replies need it: its id and the short name shoppers know it by."""

    store_id: str
    name: str


@dataclass(frozen=True)
class ProductMatch:
    """A candidate product for some text; `score` runs from 0 to 100."""

    product_id: str
    name: str
    score: float


@dataclass(frozen=True)
class ProductOptions:
    """What a product comes in, and its price range in minor units."""

    product_id: str
    name: str
    brand: str
    category: str
    colours: list[str]
    sizes: list[str]
    price_min_minor: int
    price_max_minor: int
    currency: str
    description: str = ""


@dataclass(frozen=True)
class StockQuery:
    """Whatever a shopper's message names; every field is None when the text does not say.

    `product_name` is the catalogue name when one product was identified, otherwise the shopper's
    own product words ("boots") so the caller can offer `match_products` choices.
    `colour` and `size` are catalogue spellings ("Grey", "9.5", "M").
    """

    product_id: str | None = None
    product_name: str | None = None
    colour: str | None = None
    size: str | None = None
    store_id: str | None = None
    store_name: str | None = None
    quantity: int | None = None
    sku: str | None = None
    # How many of the message's words fit the product named (1: one shared word); not part of what was said.
    matched_words: int = field(default=0, compare=False)


class CatalogLookupError(LookupError):
    """Something named by id that the catalogue does not have; the message says what."""


class UnknownProduct(CatalogLookupError):
    pass


class UnknownStore(CatalogLookupError):
    pass


class UnknownVariant(CatalogLookupError):
    pass


class UnknownOption(CatalogLookupError):
    """A colour or size the product does not come in."""


# --- vocabulary -----------------------------------------------------------------------------------

ONE_SIZE = "One Size"
_LETTER_SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL")

_STOPWORDS = frozenset(
    """
    a an the and or of in on at to for with from by near nearest me my i im id ive you your u ur ya yo
    we us our it its this that these those them they one ones there here is are was be do does did dont
    have has hav av got get gt gonna want wanna need needs looking look lookin find any anything some
    stock instock stocked available availability avail still left please pls plz thanks thank thx ta cheers
    hi hello hey hiya mate can could would will shall like just also too what wat wot whats which how
    many much if buy reserve collect collection click pick up pickup price cost costs check checking tell
    know see shop store branch outlet outfitters today tomorrow now pair pairs size sizes sz colour color
    colours colors yes no ok okay thats theres im am
    basket baskets cart trolley back order orders add remove item items thing things stuff again instead
    actually meant mean sorry oops wait other another else more less same kind type sort way
    well as too also aswell then instead either off hold lol
    """.split()
)

# Spelling variants that mean the same thing, applied to shopper text and catalogue names alike.
_CANONICAL = {
    "hoody": "hoodie", "tee": "tshirt", "wellie": "welly", "wellington": "welly", "rucksac": "rucksack",
    "headlamp": "headtorch", "trainer": "shoe", "sneaker": "shoe", "pant": "trouser", "trew": "trouser",
    "mitten": "glove", "litre": "l", "liter": "l", "beany": "beanie", "man": "person", "berth": "person",
}

# Words a shopper uses for a product that its name does not contain ("coat" for a parka).
_RELATED = {
    "jacket": ("coat",), "parka": ("coat", "jacket"), "fleece": ("jumper",),
    "hoodie": ("jumper", "sweatshirt"), "tshirt": ("top", "shirt"), "shirt": ("top",),
    "trouser": ("bottom",), "overtrouser": ("trouser", "waterproof"), "chino": ("trouser",),
    "short": ("bottom",), "backpack": ("rucksack", "bag", "pack"), "rucksack": ("backpack", "bag", "pack"),
    "daypack": ("rucksack", "backpack", "bag", "pack"), "beanie": ("hat", "woolly", "bobble"),
    "pole": ("stick",), "bottle": ("flask",), "torch": ("headtorch", "lamp", "light"),
    "mat": ("pad", "roll"), "stove": ("cooker", "burner"), "chair": ("seat", "stool"),
    "welly": ("boot",), "sandal": ("sandle",), "sock": ("socks",),
    "insulated": ("padded", "puffer", "quilted"), "down": ("puffer", "padded"),
}
_NAME_WEIGHT, _BRAND_WEIGHT, _RELATED_WEIGHT, _CATEGORY_WEIGHT = 1.0, 0.7, 0.85, 0.6

_COLOUR_SYNONYMS = {
    "gray": "grey", "gry": "grey", "light grey": "grey", "dark grey": "charcoal", "charcoal grey": "charcoal",
    "blk": "black", "blck": "black", "brn": "brown", "brwn": "brown", "dark brown": "brown", "nvy": "navy",
    "navy blue": "navy", "dark blue": "navy", "blu": "blue", "light blue": "blue", "sky blue": "blue",
    "grn": "green", "forest green": "green", "dark green": "green", "olive green": "olive",
    "wht": "white", "maroon": "burgundy", "wine": "burgundy", "beige": "sand", "camel": "tan",
    "mustard": "yellow", "gold": "yellow", "turquoise": "teal",
}

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
}
_NUM = r"\d{1,2}(?:\.5)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_HALF = r"(?: and a half| and half| n a half| 1/2| half)?"
_LETTER_SIZE_WORDS = {
    "extra extra large": "XXL", "xx large": "XXL", "xxlarge": "XXL", "2x large": "XXL", "2xl": "XXL",
    "xxl": "XXL", "extra large": "XL", "x large": "XL", "xlarge": "XL", "xl": "XL", "extra small": "XS",
    "x small": "XS", "xsmall": "XS", "xs": "XS", "small": "S", "sml": "S", "medium": "M", "meduim": "M",
    "med": "M", "large": "L", "lrg": "L", "lge": "L", "one size": ONE_SIZE, "onesize": ONE_SIZE,
}
_SIZE_MARKER = r"(?:size|sz|sze|siz|uk|size uk|a uk|waist|w)"
_SKU_PATTERN = re.compile(r"\b[a-z]{2,4}(?:-[a-z0-9.]+){1,4}\b", re.IGNORECASE)
_QUANTITY_PATTERNS = (
    re.compile(rf" ({_NUM}|a couple) (?:pairs of|pair of|pairs|of the|of|x) "),
    # "2 green camp chairs", "3 stoves at stockport": a count opening the message, before the thing itself.
    re.compile(rf"^ ({_NUM}|a couple) (?!person|people|man|men|in |inch|litre|liter|l |year|yr|yo |pack|x |and a half|half|uk|size|sz)(?=(?P<next>[a-z]+))"),
    # "reserve 2", "add two", "i'll take 3": a number right after a verb of buying is how many.
    re.compile(rf" (?:reserve|add|take|get|want|need|hold|order|book|buy|put|grab|have|make it|make that|make them) ({_NUM}|a couple)(?= (?!and a half|n a half|half|uk|w )|$)"),
    re.compile(r" x ?(\d{1,2}) "),
    re.compile(r" (\d{1,2}) ?x "),
)
_GENERIC_STORE_WORDS = frozenset({"centre", "center", "store", "shop", "manchester", "the", "retail", "park", "mall", "plaza", "grand"})


# --- text helpers ---------------------------------------------------------------------------------


# Phrases whose words mean something else apart: "packs down small" is neither down nor size S.
_PHRASES = (
    (re.compile(r"\bpack(?:s|ed)?\s+(?:down\s+)?(?:really\s+|very\s+)?small\b|\bpacks?\s+down\b|\bpackable\b", re.I), " packable "),
    (re.compile(r"\bbum\s*bags?\b|\bfanny\s*packs?\b|\bwaist\s*bags?\b", re.I), " hip pack "),
    (re.compile(r"\bwellies\b|\bwelly\b", re.I), " wellington "),
)


def shoppers_phrases(text: str) -> str:
    """Shoppers' phrases in the catalogue's words ("packs down small" -> "packable", "bum bag" -> "hip pack")."""
    for pattern, meaning in _PHRASES:
        text = pattern.sub(meaning, text)
    return text


def normalise_text(text: str) -> str:
    """Lower-cases and simplifies shopper text to space-separated words, padded with one space.

    Apostrophes vanish ("i'm" -> "im"), "½" becomes ".5", litres join their number ("25 litre" -> "25l"),
    and every other symbol becomes a space, except "." inside numbers and "/" in "1/2".
    """
    cleaned = text.lower().replace("'", "").replace("’", "").replace("½", ".5").replace("&", " and ")
    cleaned = re.sub(r"(?<!\d)\.(?=5\b)", "0.", cleaned)  # ".5" -> "0.5" keeps the dot rule simple
    cleaned = re.sub(r"[^a-z0-9./]+", " ", cleaned)
    cleaned = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", cleaned)
    cleaned = re.sub(r"(?<!\d)/|/(?!\d)", " ", cleaned)
    cleaned = re.sub(r"\b(\d+) ?(?:l|ltr|litre|litres|liter|liters)\b", r"\1l", cleaned)
    cleaned = re.sub(r"\b0\.5\b", ".5", cleaned)
    return " " + re.sub(r"\s+", " ", cleaned).strip() + " "


def stem_word(word: str) -> str:
    """Reduces a word to a shared form: plurals to singular, spelling variants to one spelling."""
    if len(word) > 3 and not word[0].isdigit():
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith(("sses", "ches", "shes", "xes")):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith(("ss", "us")):
            word = word[:-1]
    return _CANONICAL.get(word, word)


def size_sort_key(size: str) -> tuple[int, float, str]:
    """Orders sizes the way a shop lists them: numbers ascending, then XS..XXL, then anything else."""
    try:
        return (0, float(size), size)
    except ValueError:
        pass
    upper = size.upper()
    if upper in _LETTER_SIZES:
        return (1, float(_LETTER_SIZES.index(upper)), size)
    ages = re.match(r"(\d{1,2})\s*-\s*\d{1,2}$", size)
    if ages:  # children's ages: "3-4" before "11-12"
        return (2, float(ages.group(1)), size)
    return (3, 0.0, size)


def _number_value(word: str) -> float | None:
    if word in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[word])
    try:
        return float(word)
    except ValueError:
        return None


def _size_text(number: str, half: str = "") -> str | None:
    value = _number_value(number)
    if value is None:
        return None
    if half.strip():
        value += 0.5
    return str(int(value)) if value == int(value) else f"{value:g}"


def _remove(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end():]


# --- the index ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ProductEntry:
    product_id: str
    name: str
    tokens: dict[str, float]  # word -> weight (name words 1.0, related words less)
    colours: tuple[str, ...]
    sizes: tuple[str, ...]
    kids: bool = False


@dataclass(frozen=True)
class _Index:
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


def _signature(uow: UnitOfWork) -> tuple[object, ...]:
    """A cheap fingerprint of the catalogue tables: changes when rows, their names, tags or prices change."""

    def total_length(*columns: object) -> object:
        lengths = [func.length(column) for column in columns]
        return select(func.coalesce(func.sum(sum(lengths[1:], lengths[0])), 0)).scalar_subquery()

    row = uow.session.execute(
        select(
            select(func.count()).select_from(Product).scalar_subquery(),
            total_length(Product.name, Product.brand, Product.category, Product.tags, Product.audience),
            select(func.count()).select_from(Variant).scalar_subquery(),
            total_length(Variant.colour, Variant.size, Variant.sku),
            select(func.coalesce(func.sum(Variant.price_minor), 0)).scalar_subquery(),
            select(func.count()).select_from(Store).scalar_subquery(),
            total_length(Store.name),
        )
    ).one()
    return tuple(row)


def catalogue_snapshot(uow: UnitOfWork, name: str, build: Callable[[UnitOfWork], Built]) -> Built:
    """A structure built from the catalogue tables (an index), cached per engine and rebuilt when they change.

    Every structure of one engine shares one signature check, so a second index costs no extra query.
    """
    # Keyed by the connection pool, which a read-only view of the engine shares with the engine itself.
    pool = uow.session.get_bind().pool
    with _cache_lock:
        cached = _cache.get(pool)
    now = time.monotonic()
    fresh = False
    if cached is not None and now - cached.built_at < INDEX_MAX_AGE_SECONDS:
        if now - cached.checked_at < SIGNATURE_MAX_AGE_SECONDS:
            fresh = True
        elif cached.signature == _signature(uow):
            cached.checked_at = now
            fresh = True
    if not fresh:
        cached = _CachedIndex(signature=_signature(uow), built_at=now, checked_at=now, built={})
        with _cache_lock:
            _cache[pool] = cached
    assert cached is not None
    if name not in cached.built:
        cached.built[name] = build(uow)
    return cached.built[name]  # type: ignore[return-value]


def _index(uow: UnitOfWork) -> _Index:
    return catalogue_snapshot(uow, "names", _build_index)


def _name_tokens(text: str) -> list[str]:
    # A bare number ("2" of "2-Person", "3" and "1" of "3-in-1") never names a product on its own: shoppers
    # type numbers for quantities, sizes and choices. It still counts joined to its word ("2person").
    return [stem_word(word) for word in normalise_text(text).split() if word not in _STOPWORDS]


def _indexable(word: str) -> bool:
    return not word.replace(".", "").isdigit()


def _product_tokens(name: str, brand: str, category: str) -> dict[str, float]:
    tokens: dict[str, float] = {}

    def add(word: str, weight: float) -> None:
        if word and tokens.get(word, 0.0) < weight:
            tokens[word] = weight

    words = _name_tokens(name)
    for word in filter(_indexable, words):
        add(word, _NAME_WEIGHT)
        for related in _RELATED.get(word, ()):
            add(stem_word(related), _RELATED_WEIGHT)
    for first, second in zip(words, words[1:]):  # "head torch" also as "headtorch"
        add(stem_word(first + second), _NAME_WEIGHT)
    for word in filter(_indexable, _name_tokens(brand)):
        add(word, _BRAND_WEIGHT)
    for word in filter(_indexable, _name_tokens(category)):
        add(word, _CATEGORY_WEIGHT)
    return tokens


def _build_index(uow: UnitOfWork) -> _Index:
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
    for synonym, target in _COLOUR_SYNONYMS.items():
        if target in colours:
            colours.setdefault(synonym, colours[target])

    store_rows = uow.session.execute(select(Store.id, Store.name).order_by(Store.id)).all()
    return _Index(
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
            if len(word) >= 4 and word not in _GENERIC_STORE_WORDS:
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


def _take_sku(index: _Index, raw: str) -> tuple[str | None, str | None, str | None, str | None, str]:
    """Finds a typed SKU (or product code); returns (sku, product id, colour, size, text without it)."""
    for match in _SKU_PATTERN.finditer(raw):
        code = match.group(0).upper()
        rest = raw[: match.start()] + " " + raw[match.end():]
        if code in index.skus:
            sku, product_id, colour, size = index.skus[code]
            return sku, product_id, colour or None, size or None, rest
        if code in index.product_codes:
            return None, index.product_codes[code], None, None, rest
        prefixed = {value[1:3] for key, value in index.skus.items() if key.startswith(code + "-")}
        if len(prefixed) == 1:  # "FS-BOOT-TRB-BRN": a product in one colour
            product_id, colour = next(iter(prefixed))
            return None, product_id, colour or None, None, rest
    return None, None, None, None, raw


def find_named_phrase(text: str, names: dict[str, Named], cutoff: float = 85) -> tuple[Named | None, str]:
    """Finds the longest name (exactly, else fuzzily over 1-3 word phrases) in normalised text.

    Args:
        text: Output of `normalise_text`.
        names: Normalised name -> the thing it names.
        cutoff: Lowest rapidfuzz ratio accepted for a misspelt name.

    Returns:
        (the thing named or None, the text with the name taken out).
    """
    for name in sorted(names, key=len, reverse=True):
        match = re.search(rf" {re.escape(name)} ", text)
        if match:
            return names[name], _remove(text, match)
    words = text.split()
    choices = list(names)
    best: tuple[float, int, int, str] | None = None
    for length in (3, 2, 1):
        for start in range(len(words) - length + 1):
            phrase = " ".join(words[start:start + length])
            if len(phrase) < 5 or words[start] in _STOPWORDS or words[start + length - 1] in _STOPWORDS:
                continue
            found = process.extractOne(phrase, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
            if found and (best is None or found[1] > best[0]):
                best = (found[1], start, length, found[0])
    if best is None:
        return None, text
    _, start, length, name = best
    return names[name], " " + " ".join(words[:start] + words[start + length:]) + " "


def _take_store(index: _Index, text: str) -> tuple[StoreRef | None, str]:
    return find_named_phrase(text, index.store_aliases)


def _take_explicit_size(text: str) -> tuple[str | None, str]:
    letter_words = "|".join(re.escape(word) for word in sorted(_LETTER_SIZE_WORDS, key=len, reverse=True))
    patterns: tuple[tuple[re.Pattern[str], str], ...] = (
        (re.compile(rf" {_SIZE_MARKER} ?({_NUM})({_HALF}) "), "number"),
        (re.compile(rf" ({_NUM}) (and a half|and half|n a half) "), "number"),
        (re.compile(rf" ({_NUM})() ?(?:uk|w|waist|inch waist) "), "number"),
        (re.compile(rf" (?:size |sz |in (?:an? )?)?({letter_words}) "), "letter"),
        (re.compile(r" (?:size|sz) (s|m|l) "), "letter"),
    )
    for pattern, kind in patterns:
        match = pattern.search(text)
        if not match:
            continue
        if kind == "letter":
            word = match.group(1)
            return _LETTER_SIZE_WORDS.get(word, word.upper()), _remove(text, match)
        size = _size_text(match.group(1), match.group(2))
        if size is not None:
            return size, _remove(text, match)
    return None, text


def _take_quantity(text: str) -> tuple[int | None, str]:
    for pattern in _QUANTITY_PATTERNS:
        match = pattern.search(text)
        if match and "next" in match.groupdict() and match.group("next") in _STOPWORDS:
            continue  # "12 then", "2 please": not a count of things
        if match:
            word = match.group(1)
            value = 2 if word == "a couple" else _number_value(word)
            if value is not None and value >= 1 and value == int(value):
                return int(value), _remove(text, match)
    return None, text


def _take_colour(index: _Index, text: str) -> tuple[str | None, str]:
    for word in sorted(index.colours, key=len, reverse=True):
        match = re.search(rf" {re.escape(word)} ", text)
        if match:
            return index.colours[word], _remove(text, match)
    vocabulary = set(index.vocabulary)
    plain_colours = [word for word in index.colours if " " not in word and len(word) >= 4]
    for match in re.finditer(r"(?<= )[a-z]{4,}(?= )", text):
        word = match.group(0)
        if word in _STOPWORDS or stem_word(word) in vocabulary:
            continue  # "stove" is a product, not a misspelt "stone"
        found = process.extractOne(word, plain_colours, scorer=fuzz.ratio, score_cutoff=80)
        if found and found[0][0] == word[0]:
            return index.colours[found[0]], _remove(text, match)
    return None, text


_AGE = re.compile(r" (?:age|aged|ages|for a|for an) (\d{1,2})(?: \d{1,2})? | (\d{1,2})(?: \d{1,2})? ?(?:years?|yrs?|yr|year olds?|yo|y o)\b")
_RANGE_SIZE = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def _age_size(text: str, sizes: Iterable[str]) -> str | None:
    """Children's sizes go by age ("7-8"): "age 7", "for a 7 year old", "7 yrs" and "7-8" pick that range."""
    ranges = [(size, _RANGE_SIZE.match(size)) for size in sizes]
    ranges = [(size, int(m.group(1)), int(m.group(2))) for size, m in ranges if m]
    if not ranges:
        return None
    for size, low, high in ranges:
        if f" {low} {high} " in text:
            return size
    match = _AGE.search(text)
    if not match:
        return None
    age = int(match.group(1) or match.group(2))
    return next((size for size, low, high in ranges if low <= age <= high), None)


def _normalise_size_word(word: str) -> str | None:
    """A bare word that could be a size ("9", "9.5", "m", "xl"), in catalogue spelling."""
    if word in _LETTER_SIZE_WORDS:
        return _LETTER_SIZE_WORDS[word]
    if word.upper() in _LETTER_SIZES:
        return word.upper()
    if word in _NUMBER_WORDS or re.fullmatch(r"\d{1,2}(?:\.5)?|\.5", word):
        return _size_text(word)
    return None


# --- scoring products -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _QueryWord:
    said: str  # as the shopper wrote it ("boots", "trail blazer")
    weight: float  # how telling the word is across the catalogue (idf of its best match)
    matches: dict[str, float]  # catalogue token -> similarity 0..1


def _query_words(index: _Index, text: str) -> list[_QueryWord]:
    """The words of `text` that mean something in the catalogue, with what each could match."""
    raw = [word for word in text.split() if word not in _STOPWORDS]
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


def _token_matches(index: _Index, word: str) -> dict[str, float]:
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


def _score_products(index: _Index, words: list[_QueryWord]) -> list[ProductMatch]:
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


def _names_it(index: _Index, words: list[_QueryWord], product_id: str) -> bool:
    tokens = index.products[product_id].tokens
    return any(
        similarity >= 0.8 and tokens.get(token, 0.0) >= _RELATED_WEIGHT and index.df.get(token, 99) <= _DISTINCTIVE_DF
        and token not in _NEED_WORDS
        for word in words
        for token, similarity in word.matches.items()
    )


def _pick_product(
    index: _Index, matches: list[ProductMatch], colour: str | None, size: str | None, bare_words: list[str],
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
    sizes = [size] if size else [value for value in map(_normalise_size_word, bare_words) if value]
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
    index = _index(uow)
    sku, product_id, colour, size, raw = _take_sku(index, text)
    remaining = normalise_text(shoppers_phrases(raw))
    store, remaining = _take_store(index, remaining)
    explicit_size, remaining = _take_explicit_size(remaining)
    size = size or explicit_size
    quantity, remaining = _take_quantity(remaining)
    said_colour, remaining = _take_colour(index, remaining)
    colour = colour or said_colour

    product_words = _query_words(index, remaining)
    bare_words = [word for word in remaining.split() if word not in _STOPWORDS]
    if product_id is None:
        product_id = _pick_product(index, _score_products(index, product_words), colour, size, bare_words, product_words)

    entry = index.products.get(product_id) if product_id else None
    if entry is not None:
        size = _age_size(normalise_text(raw), entry.sizes) or size
    if size is None and entry is not None:
        size = next((value for value in map(_normalise_size_word, bare_words) if value in entry.sizes), None)
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
    index = _index(uow)
    _, product_id, _, _, raw = _take_sku(index, text)
    if product_id is not None:
        return [ProductMatch(product_id, index.products[product_id].name, 100.0)]
    remaining = normalise_text(raw)
    _, remaining = _take_store(index, remaining)
    _, remaining = _take_explicit_size(remaining)
    _, remaining = _take_quantity(remaining)
    _, remaining = _take_colour(index, remaining)
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
    store, _ = _take_store(_index(uow), normalise_text(text))
    return store


@read_only
def resolve_colour(uow: UnitOfWork, product_id: str, text: str) -> str | None:
    """The product's own colour that `text` names ("gray", "navy blue", "blk"), or None."""
    index = _index(uow)
    entry = index.products.get(product_id)
    if entry is None:
        return None
    normalised = normalise_text(text)
    words = normalised.strip()
    direct = next((colour for colour in entry.colours if colour.lower() == words), None)
    if direct:
        return direct
    colour, _ = _take_colour(index, normalised)
    return _catalogue_spelling(colour, entry.colours) if colour in entry.colours else None


@read_only
def resolve_options(uow: UnitOfWork, product_id: str, text: str) -> tuple[str | None, str | None]:
    """The colour and size of this product that `text` names ("navy M", "brown 10", "in L"), each or None."""
    return resolve_colour(uow, product_id, text), resolve_size(uow, product_id, text)


@read_only
def resolve_size(uow: UnitOfWork, product_id: str, text: str) -> str | None:
    """The product's own size that `text` names ("sz 9", "nine and a half", "medium", "32 waist"), or None."""
    entry = _index(uow).products.get(product_id)
    if entry is None:
        return None
    normalised = normalise_text(text)
    by_age = _age_size(normalised, entry.sizes)
    if by_age:
        return by_age
    size, remaining = _take_explicit_size(normalised)
    candidates = [size] if size else [_normalise_size_word(word) for word in remaining.split()]
    for candidate in candidates:
        spelled = _catalogue_spelling(candidate, entry.sizes)
        if spelled in entry.sizes:
            return spelled
    return None
