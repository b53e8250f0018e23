"""Short, SMS-friendly texts built from the service results; pure functions, no I/O.

Replies stay well under 320 characters in the usual cases (two SMS segments) and never use buttons,
so they read the same on SMS, WhatsApp, Messenger, Telegram and the web chat.
"""

from __future__ import annotations

from typing import Sequence

from bot.languages import N_, _

# The catalogue's colours as words in a sentence, so they are translated with the rest of a reply.
COLOUR_WORDS = (
    N_("black"), N_("blue"), N_("brown"), N_("burgundy"), N_("charcoal"), N_("green"), N_("grey"), N_("khaki"), N_("navy"),
    N_("olive"), N_("orange"), N_("purple"), N_("red"), N_("sand"), N_("silver"), N_("stone"), N_("tan"), N_("teal"),
    N_("white"), N_("yellow"),
)
CONJUNCTIONS = (N_("and"), N_("or"))


def colour_word(colour: str) -> str:
    """A catalogue colour as a word in the conversation's language: "Brown" -> "brown" / "coklat" / "ruskea"."""
    return _(colour.lower())


def human_list(items: Sequence[str], conjunction: str = "and") -> str:
    """["a"] -> "a"; ["a", "b"] -> "a and b"; ["a", "b", "c"] -> "a, b and c"."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {_(conjunction)} {items[-1]}"


def distance_text(distance_km: float) -> str:
    """4.123 -> "4.1 km"; anything under 100 m reads as "under 0.1 km"."""
    if distance_km < 0.1:
        return _("under 0.1 km")
    return f"{distance_km:.1f} km"


def numbered_options(options: Sequence[str]) -> str:
    """"1) a 2) b" — SMS has no buttons, so choices are numbered and answered by number."""
    return " ".join(f"{position}) {option}" for position, option in enumerate(options, start=1))
