"""Short, SMS-friendly texts built from the service results; pure functions, no I/O.

Replies stay well under 320 characters in the usual cases (two SMS segments) and never use buttons,
so they read the same on SMS, WhatsApp, Messenger, Telegram and the web chat.
"""

from __future__ import annotations

from typing import Sequence


def human_list(items: Sequence[str], conjunction: str = "and") -> str:
    """["a"] -> "a"; ["a", "b"] -> "a and b"; ["a", "b", "c"] -> "a, b and c"."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def distance_text(distance_km: float) -> str:
    """4.123 -> "4.1 km"; anything under 100 m reads as "under 0.1 km"."""
    if distance_km < 0.1:
        return "under 0.1 km"
    return f"{distance_km:.1f} km"


def numbered_options(options: Sequence[str]) -> str:
    """"1) a 2) b" — SMS has no buttons, so choices are numbered and answered by number."""
    return " ".join(f"{position}) {option}" for position, option in enumerate(options, start=1))
