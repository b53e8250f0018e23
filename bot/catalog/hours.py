"""Opening hours as plain values, and turning shopper phrases ("sat", "boxing day") into dates.

Times are local "HH:MM" strings in the store's time zone; a day with no times is closed all day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_WEEKDAY_WORDS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}
_MONTH_WORDS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
# Fixed-date holidays a shopper names; checked longest phrase first so "christmas eve" wins over "christmas".
_HOLIDAYS = (
    (r"(christmas|xmas) eve", 12, 24),
    (r"boxing day", 12, 26),
    (r"new years? eve|nye", 12, 31),
    (r"new years?( day)?", 1, 1),
    (r"(christmas|xmas)( day)?", 12, 25),
)
_TOMORROW = r"tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr|tmoz|tomoz|2moro|2morrow|2mrw"
_TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class DayHours:
    """A store's hours on one date. `note` names a closure or holiday ("Boxing Day") when one applies."""

    day: date
    opens: str | None
    closes: str | None
    note: str | None = None

    @property
    def is_closed(self) -> bool:
        return self.opens is None or self.closes is None

    @property
    def is_special(self) -> bool:
        """True when the day differs from the usual weekly hours (a closure row applied)."""
        return self.note is not None

    def is_open_at(self, moment: time) -> bool:
        """Whether the store is open at a local wall-clock time on this day."""
        if self.opens is None or self.closes is None:
            return False
        return parse_hhmm(self.opens) <= moment < parse_hhmm(self.closes)


@dataclass(frozen=True)
class WeekdayHours:
    """The usual hours for one weekday (0 = Monday)."""

    weekday: int
    opens: str | None
    closes: str | None

    @property
    def is_closed(self) -> bool:
        return self.opens is None or self.closes is None

    @property
    def weekday_name(self) -> str:
        return WEEKDAY_NAMES[self.weekday]


def parse_hhmm(value: str) -> time:
    """Parses a 24-hour "HH:MM" string; raises ValueError with the bad value otherwise."""
    match = _TIME_PATTERN.match(value.strip())
    if not match:
        raise ValueError(f"expected a 24-hour time like 09:30, got {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def parse_weekday(value: str) -> int:
    """Accepts 0-6 (Monday = 0) or a day name or abbreviation ("mon", "Thursday")."""
    cleaned = value.strip().lower()
    if cleaned.isdigit() and 0 <= int(cleaned) <= 6:
        return int(cleaned)
    if cleaned in _WEEKDAY_WORDS:
        return _WEEKDAY_WORDS[cleaned]
    raise ValueError(f"expected a weekday (mon..sun or 0..6 with 0 = Monday), got {value!r}")


def local_now(timezone_name: str, now: datetime) -> datetime:
    """`now` seen on a wall clock in the given time zone; a naive `now` is taken to be UTC."""
    aware = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    return aware.astimezone(ZoneInfo(timezone_name))


def local_date(timezone_name: str, now: datetime) -> date:
    """The calendar date it is in the given time zone at the instant `now`."""
    return local_now(timezone_name, now).date()


def resolve_day(text: str, today: date) -> date | None:
    """Turns a shopper's phrase for a day into a date on or after `today`.

    Understands "today", "tomorrow" (and SMS spellings), weekday names and abbreviations ("sat",
    "next monday"), "the weekend", "on the 26th", "26th dec", "dec 26", "26/12", ISO dates and named
    days ("christmas day", "boxing day", "new year's day").

    Args:
        text: The shopper's words.
        today: Today's date in the store's time zone (see `local_date`).

    Returns:
        The date meant, or None when the text names no day.
    """
    cleaned = " " + re.sub(r"[^a-z0-9/\- ]+", " ", text.lower().replace("'", "").replace("’", "")) + " "
    cleaned = re.sub(r"\s+", " ", cleaned)
    for resolver in (_iso_date, _holiday, _relative_day, _numeric_date, _month_date, _day_of_month, _weekday):
        found = resolver(cleaned, today)
        if found is not None:
            return found
    return None


def _iso_date(text: str, today: date) -> date | None:
    match = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", text)
    return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


def _holiday(text: str, today: date) -> date | None:
    for pattern, month, day in _HOLIDAYS:
        if re.search(rf" ({pattern}) ", text):
            return _next_annual(today, month, day)
    return None


def _relative_day(text: str, today: date) -> date | None:
    if re.search(rf" day after ({_TOMORROW}) ", text):
        return today + timedelta(days=2)
    if re.search(rf" ({_TOMORROW}) ", text):
        return today + timedelta(days=1)
    if re.search(r" (today|tonight|tday|2day|now|this evening|this afternoon|this morning) ", text):
        return today
    if re.search(r" (this |the )?weekend ", text):
        return today if today.weekday() >= 5 else today + timedelta(days=5 - today.weekday())
    return None


def _numeric_date(text: str, today: date) -> date | None:
    match = re.search(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b", text)
    if not match:
        return None
    day, month = int(match.group(1)), int(match.group(2))  # UK order: day first
    if match.group(3):
        year = int(match.group(3))
        return _safe_date(year + 2000 if year < 100 else year, month, day)
    return _next_annual(today, month, day)


def _month_date(text: str, today: date) -> date | None:
    months = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))
    match = re.search(rf" (\d{{1,2}})(?:st|nd|rd|th)?(?: of)? ({months}) ", text) or re.search(
        rf" ({months}) (?:the )?(\d{{1,2}})(?:st|nd|rd|th)? ", text
    )
    if not match:
        return None
    first, second = match.group(1), match.group(2)
    day, month_word = (int(first), second) if first.isdigit() else (int(second), first)
    return _next_annual(today, _MONTH_WORDS[month_word], day)


def _day_of_month(text: str, today: date) -> date | None:
    months = "|".join(_MONTH_WORDS)
    # "31st feb" names a month: an impossible date, not "the next 31st".
    match = re.search(rf" (?:the )?(\d{{1,2}})(st|nd|rd|th) (?!(?:of )?(?:{months}) )", text)
    if not match:
        return None
    day = int(match.group(1))
    year, month = today.year, today.month
    for _ in range(12):  # the next month that has that day (the 31st skips short months)
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _weekday(text: str, today: date) -> date | None:
    words = "|".join(sorted(_WEEKDAY_WORDS, key=len, reverse=True))
    match = re.search(rf" (next |this |on )?({words}) ", text)
    if not match:
        return None
    ahead = (_WEEKDAY_WORDS[match.group(2)] - today.weekday()) % 7
    if ahead == 0 and (match.group(1) or "").strip() == "next":
        ahead = 7  # "next monday" said on a Monday means a week today
    return today + timedelta(days=ahead)


def _next_annual(today: date, month: int, day: int) -> date | None:
    this_year = _safe_date(today.year, month, day)
    if this_year is None:
        return None
    return this_year if this_year >= today else _safe_date(today.year + 1, month, day)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
