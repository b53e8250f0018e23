"""Price limits in a browsing request, in the conversation's market currency.

"something under £50", "walking jacket between 50 and 100 quid", and, in the engine's English
(bot/languages/terms.py maps "di bawah", "alle", "enintään" to "under", "euroa" to "euros"),
"jaket di bawah 500 ribu", "sepatu max 1jt", "under 500k", "budget 750.000", "takki alle 100 euroa",
"kengät max 80 €", "alle 60e".

What is read here is the amount: digits with the shopper's separators ("750.000", "1,5jt", "59,90",
"1 500"; a separator before three digits groups them, before one or two it is the decimal point), a
multiplier ("500k", "500 ribu", "500rb", "1jt", "2 juta") and a currency named by symbol or word ("£", "€",
"Rp", "euros", "pounds", "rupiah", "60e"). A number without a currency is in the market's currency. Amounts
become integer minor units of that currency with the money helpers (bot/kernel/money.py): Rp 500.000 is
50_000_000 sen, 100 € is 10_000 cents, £50 is 5000 pence.

A limit in another currency than the market's ("alle 100 euroa" to a Manchester store) cannot be compared
with its prices (the shop keeps no exchange rates): it is returned as `foreign`, and applied to nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.kernel.money import to_minor

# Currency symbols and words, as typed (lower case), after the lexicon's mapping to English.
CURRENCY_WORDS = {
    "£": "GBP", "pound": "GBP", "pounds": "GBP", "quid": "GBP", "gbp": "GBP",
    "€": "EUR", "e": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "rp": "IDR", "rp.": "IDR", "rupiah": "IDR", "idr": "IDR",
}
MULTIPLIERS = {
    "k": 1000, "rb": 1000, "ribu": 1000, "rebu": 1000, "thousand": 1000, "grand": 1000,
    "jt": 1_000_000, "juta": 1_000_000, "million": 1_000_000,
}
# Counted in thousands or millions as only rupiah are ("500 ribu", "1jt"): without a currency, rupiah.
RUPIAH_MULTIPLIERS = frozenset({"rb", "ribu", "rebu", "jt", "juta"})
_PREFIX = r"£|€|rp\.?|idr|gbp|eur"
_SUFFIX = r"£|€|euros?|eur|e|pounds?|quid|gbp|rupiah|rp|idr"
# "1.500.000", "100 000", "750,000" (groups of three), else "59,90", "1.5", "80".
_NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d{1,2})?(?!\d)"
_MULTIPLIER = "|".join(sorted(MULTIPLIERS, key=len, reverse=True))


def _amount(name: str) -> str:
    return (
        rf"(?:(?P<{name}_pre>{_PREFIX})\s*)?(?P<{name}_num>{_NUMBER})"
        rf"(?:\s*(?P<{name}_mult>{_MULTIPLIER})(?![a-z]))?(?:\s*(?P<{name}_cur>{_SUFFIX})(?![a-z]))?"
    )


_BETWEEN = re.compile(rf"\b(?:between|from)\s*{_amount('low')}\s*(?:and|to|-|–)\s*{_amount('high')}", re.I)
_UNDER = re.compile(
    rf"(?:\b(?:under|below|less than|max(?:imum)?|up to|no more than|cheaper than|within|budget(?: of| is)?)|<|≤)\s*{_amount('high')}", re.I
)
_ABOUT = re.compile(rf"(?:\b(?:about|around|roughly|approx(?:imately)?)|~)\s*{_amount('mid')}", re.I)
_OVER = re.compile(rf"(?:\b(?:over|above|more than|at least)|>|≥)\s*{_amount('low')}", re.I)


@dataclass(frozen=True)
class PriceLimits:
    """The limits read, in minor units of `currency` (None: no limit of that side)."""

    low: int | None = None
    high: int | None = None
    currency: str | None = None
    foreign: tuple[Decimal, str] | None = None  # ("100", "EUR"): a limit named in a currency the market does not sell in


def names_a_price_limit(text: str) -> bool:
    """Whether `text` (in the engine's English) sets a price limit in any currency: "under 500 ribu", "max 1jt"."""
    return read_price_limits(text, "GBP")[0] != PriceLimits()


def number_value(text: str) -> Decimal:
    """"750.000" -> 750000; "1,5" -> 1.5; "1 500" -> 1500; "59,90" -> 59.90: a separator before the last one
    or two digits is the decimal point, any other groups thousands."""
    text = re.sub(r"[\s\u00a0\u202f]", "", text)
    match = re.fullmatch(r"(.*?)(?:[.,](\d{1,2}))?", text)
    assert match is not None  # the pattern matches any text
    whole = re.sub(r"[.,]", "", match.group(1)) or "0"
    return Decimal(f"{whole}.{match.group(2)}" if match.group(2) else whole)


def _read(match: re.Match[str], name: str) -> tuple[Decimal, str | None]:
    """The amount of one named group and the currency it names, if any."""
    value = number_value(match.group(f"{name}_num"))
    if multiplier := match.group(f"{name}_mult"):
        value *= MULTIPLIERS[multiplier.lower()]
    named = match.group(f"{name}_pre") or match.group(f"{name}_cur")
    if named:
        return value, CURRENCY_WORDS.get(named.lower())
    return value, "IDR" if multiplier and multiplier.lower() in RUPIAH_MULTIPLIERS else None


def read_price_limits(text: str, currency: str) -> tuple[PriceLimits, str]:
    """The price limits in `text` (already in the engine's English) and the text without them.

    "between A and B"; else "under B" and/or "over A"; else "about M" (within a third either way).

    Args:
        currency: the market's currency (ISO 4217), which a number without a currency is in.
    """
    code = currency.upper()
    found: list[tuple[str, Decimal, str | None]] = []  # (side, amount, currency named)
    if match := _BETWEEN.search(text):
        found += [("low", *_read(match, "low")), ("high", *_read(match, "high"))]
        text = text.replace(match.group(0), " ")
    else:
        for pattern, side in ((_UNDER, "high"), (_OVER, "low")):
            if match := pattern.search(text):
                found.append((side, *_read(match, side)))
                text = text.replace(match.group(0), " ")
        if not found and (match := _ABOUT.search(text)):
            found.append(("mid", *_read(match, "mid")))
            text = text.replace(match.group(0), " ")
    if not found:
        return PriceLimits(), text
    foreign = next((named for _side, _value, named in found if named and named != code), None)
    if foreign is not None:
        return PriceLimits(foreign=(max(value for _side, value, _named in found), foreign)), text
    minor = {side: to_minor(value, code) for side, value, _named in found}
    if "mid" in minor:
        return PriceLimits(minor["mid"] * 2 // 3, minor["mid"] * 4 // 3, code), text
    low, high = minor.get("low"), minor.get("high")
    if low is not None and high is not None and low > high:
        low, high = high, low  # "between 100 and 50"
    return PriceLimits(low, high, code), text
