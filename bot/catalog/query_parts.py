"""Pulling the parts of a stock question out of free text: a SKU, a store, a size, a quantity, a colour, an age."""

from __future__ import annotations

import re
from typing import Iterable, TypeVar

from rapidfuzz import fuzz, process

from bot.catalog.catalogue_index import Index
from bot.catalog.shopper_text import (
    HALF,
    LETTER_SIZES,
    LETTER_SIZE_WORDS,
    NUM,
    NUMBER_WORDS,
    QUANTITY_PATTERNS,
    SIZE_MARKER,
    SKU_PATTERN,
    STOPWORDS,
    number_value,
    remove_match,
    size_text,
    stem_word,
)
from bot.catalog.stock_query import StoreRef


Named = TypeVar("Named")

# --- public results ----------------------------------------------------------------------------------


def take_sku(index: Index, raw: str) -> tuple[str | None, str | None, str | None, str | None, str]:
    """Finds a typed SKU (or product code); returns (sku, product id, colour, size, text without it)."""
    for match in SKU_PATTERN.finditer(raw):
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
            return names[name], remove_match(text, match)
    words = text.split()
    choices = list(names)
    best: tuple[float, int, int, str] | None = None
    for length in (3, 2, 1):
        for start in range(len(words) - length + 1):
            phrase = " ".join(words[start:start + length])
            if len(phrase) < 5 or words[start] in STOPWORDS or words[start + length - 1] in STOPWORDS:
                continue
            found = process.extractOne(phrase, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
            if found and (best is None or found[1] > best[0]):
                best = (found[1], start, length, found[0])
    if best is None:
        return None, text
    _, start, length, name = best
    return names[name], " " + " ".join(words[:start] + words[start + length:]) + " "


def take_store(index: Index, text: str) -> tuple[StoreRef | None, str]:
    return find_named_phrase(text, index.store_aliases)


def take_explicit_size(text: str) -> tuple[str | None, str]:
    letter_words = "|".join(re.escape(word) for word in sorted(LETTER_SIZE_WORDS, key=len, reverse=True))
    patterns: tuple[tuple[re.Pattern[str], str], ...] = (
        (re.compile(rf" {SIZE_MARKER} ?({NUM})({HALF}) "), "number"),
        (re.compile(rf" ({NUM}) (and a half|and half|n a half) "), "number"),
        (re.compile(rf" ({NUM})() ?(?:uk|w|waist|inch waist) "), "number"),
        (re.compile(rf" (?:size |sz |in (?:an? )?)?({letter_words}) "), "letter"),
        (re.compile(r" (?:size|sz) (s|m|l) "), "letter"),
    )
    for pattern, kind in patterns:
        match = pattern.search(text)
        if not match:
            continue
        if kind == "letter":
            word = match.group(1)
            return LETTER_SIZE_WORDS.get(word, word.upper()), remove_match(text, match)
        size = size_text(match.group(1), match.group(2))
        if size is not None:
            return size, remove_match(text, match)
    return None, text


def take_quantity(text: str) -> tuple[int | None, str]:
    for pattern in QUANTITY_PATTERNS:
        match = pattern.search(text)
        if match and "next" in match.groupdict() and match.group("next") in STOPWORDS:
            continue  # "12 then", "2 please": not a count of things
        if match:
            word = match.group(1)
            value = 2 if word == "a couple" else number_value(word)
            if value is not None and value >= 1 and value == int(value):
                return int(value), remove_match(text, match)
    return None, text


def take_colour(index: Index, text: str) -> tuple[str | None, str]:
    for word in sorted(index.colours, key=len, reverse=True):
        match = re.search(rf" {re.escape(word)} ", text)
        if match:
            return index.colours[word], remove_match(text, match)
    vocabulary = set(index.vocabulary)
    plain_colours = [word for word in index.colours if " " not in word and len(word) >= 4]
    for match in re.finditer(r"(?<= )[a-z]{4,}(?= )", text):
        word = match.group(0)
        if word in STOPWORDS or stem_word(word) in vocabulary:
            continue  # "stove" is a product, not a misspelt "stone"
        found = process.extractOne(word, plain_colours, scorer=fuzz.ratio, score_cutoff=80)
        if found and found[0][0] == word[0]:
            return index.colours[found[0]], remove_match(text, match)
    return None, text


_AGE = re.compile(r" (?:age|aged|ages|for a|for an) (\d{1,2})(?: \d{1,2})? | (\d{1,2})(?: \d{1,2})? ?(?:years?|yrs?|yr|year olds?|yo|y o)\b")
_RANGE_SIZE = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def age_size(text: str, sizes: Iterable[str]) -> str | None:
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


def normalise_size_word(word: str) -> str | None:
    """A bare word that could be a size ("9", "9.5", "m", "xl"), in catalogue spelling."""
    if word in LETTER_SIZE_WORDS:
        return LETTER_SIZE_WORDS[word]
    if word.upper() in LETTER_SIZES:
        return word.upper()
    if word in NUMBER_WORDS or re.fullmatch(r"\d{1,2}(?:\.5)?|\.5", word):
        return size_text(word)
    return None


# --- scoring products -----------------------------------------------------------------------------
