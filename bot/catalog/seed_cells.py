"""Cell converters of the catalogue loader: each reads one CSV cell and raises ValueError with a message
fit for the shopkeeper ("must be a whole number of 0 or more, got '-1'").
"""

from __future__ import annotations

import re
from datetime import date

from bot.catalog.hours import parse_hhmm

def text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def optional_text(value: str) -> str:
    return value.strip()


AUDIENCES = ("adults", "kids")


def audience(value: str) -> str:
    cleaned = value.strip().lower() or "adults"
    if cleaned not in AUDIENCES:
        raise ValueError(f"must be one of {', '.join(AUDIENCES)}, got {value!r}")
    return cleaned


def tags(value: str) -> str:
    """Search keywords, separated by spaces, commas or semicolons; kept lower case, space-separated."""
    return " ".join(dict.fromkeys(word for word in re.split(r"[\s,;]+", value.strip().lower()) if word))


def non_negative_int(value: str) -> int:
    cleaned = value.strip()
    if not cleaned.isdigit():
        raise ValueError(f"must be a whole number of 0 or more, got {value!r}")
    return int(cleaned)


def optional_non_negative_int(value: str) -> int | None:
    return non_negative_int(value) if value.strip() else None


def latitude(value: str) -> float:
    return bounded_float(value, -90.0, 90.0)


def longitude(value: str) -> float:
    return bounded_float(value, -180.0, 180.0)


def bounded_float(value: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"must be a decimal number, got {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"must be between {low:g} and {high:g}, got {value!r}")
    return number


def boolean(value: str) -> bool:
    cleaned = value.strip().lower()
    if cleaned in {"true", "yes", "1", "y"}:
        return True
    if cleaned in {"false", "no", "0", "n"}:
        return False
    raise ValueError(f"must be true or false, got {value!r}")


def optional_time(value: str) -> str | None:
    return parse_hhmm(value).strftime("%H:%M") if value.strip() else None


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"must be a date like 2026-12-25, got {value!r}") from None


def currency(value: str) -> str:
    cleaned = value.strip().upper()
    if len(cleaned) != 3 or not cleaned.isalpha():
        raise ValueError(f"must be a 3-letter ISO currency code like GBP, got {value!r}")
    return cleaned


def optional_market(value: str) -> str | None:
    return value.strip() or None


def timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"must be an IANA time zone like Europe/London, got {value!r}") from None
    return value.strip()
