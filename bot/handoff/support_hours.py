"""When people answer chats: support hours such as "Mon-Sat 09:00-18:00" in one time zone.

Pure values and parsing; nothing here reads the environment or the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SUPPORT_HOURS = "Mon-Sat 09:00-18:00"
DEFAULT_SUPPORT_TIMEZONE = "Europe/London"

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SEGMENT = re.compile(
    r"^(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})$"
)


class InvalidSupportHours(ValueError):
    """SUPPORT_HOURS or SUPPORT_TIMEZONE cannot be understood."""


@dataclass(frozen=True)
class SupportWindow:
    """Support is staffed from `opens` to `closes` (local time) on each weekday in `weekdays` (0 = Monday)."""

    weekdays: frozenset[int]
    opens: time
    closes: time


@dataclass(frozen=True)
class SupportHours:
    """The weekly support schedule in one time zone."""

    windows: tuple[SupportWindow, ...]
    timezone: str = DEFAULT_SUPPORT_TIMEZONE
    text: str = DEFAULT_SUPPORT_HOURS

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_open(self, moment: datetime) -> bool:
        """Whether someone is scheduled to answer at `moment` (an aware datetime)."""
        local = moment.astimezone(self.zone)
        wall = local.time().replace(tzinfo=None)
        return any(
            local.weekday() in window.weekdays and window.opens <= wall < window.closes for window in self.windows
        )

    def next_opening(self, moment: datetime) -> datetime | None:
        """The next local start of a support window after `moment`, or None when the schedule is empty."""
        local = moment.astimezone(self.zone)
        for days_ahead in range(0, 8):
            day = (local + timedelta(days=days_ahead)).date()
            starts = sorted(w.opens for w in self.windows if day.weekday() in w.weekdays)
            for opens in starts:
                start = datetime.combine(day, opens, tzinfo=self.zone)
                if start > local:
                    return start
        return None

    def describe(self) -> str:
        """Human wording, e.g. "Mon-Sat 09:00-18:00 (UK time)"."""
        zone_label = "UK time" if self.timezone == "Europe/London" else self.timezone
        return f"{self.text} ({zone_label})"


def parse_support_hours(text: str, timezone: str = DEFAULT_SUPPORT_TIMEZONE) -> SupportHours:
    """Parses a schedule like "Mon-Fri 09:00-18:00; Sat 10:00-16:00" (segments split by ";" or ",").

    Raises:
        InvalidSupportHours: a segment, day name, time or the time zone is not understood.
    """
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidSupportHours(f"unknown time zone {timezone!r}") from error
    windows = []
    for raw in re.split(r"[;,]", text):
        segment = " ".join(raw.strip().lower().split())
        if not segment:
            continue
        match = _SEGMENT.match(segment)
        if match is None:
            raise InvalidSupportHours(f"support hours segment {raw.strip()!r} is not like 'Mon-Sat 09:00-18:00'")
        first = _weekday(match["first"])
        last = _weekday(match["last"]) if match["last"] else first
        weekdays = frozenset((first + offset) % 7 for offset in range((last - first) % 7 + 1))
        opens, closes = _clock(match["opens"]), _clock(match["closes"])
        if closes <= opens:
            raise InvalidSupportHours(f"support hours {raw.strip()!r} close before they open")
        windows.append(SupportWindow(weekdays, opens, closes))
    if not windows:
        raise InvalidSupportHours("support hours are empty")
    return SupportHours(tuple(windows), timezone, text.strip())


def _weekday(word: str) -> int:
    try:
        return _DAYS.index(word[:3])
    except ValueError as error:
        raise InvalidSupportHours(f"unknown day {word!r}; use {', '.join(_DAY_LABELS)}") from error


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours == 24 and minutes == 0:
        return time(23, 59, 59)
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise InvalidSupportHours(f"time {text!r} is not a valid HH:MM")
    return time(hours, minutes)
