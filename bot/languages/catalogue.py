"""Replies in the conversation's language: gettext catalogues read with Babel.

Source texts are English and marked `_("…")` where they are used, or `N_("…")` where they are defined as
constants and translated later. `scripts/update_messages.py` extracts them into data/languages/messages.pot
and merges that into one .po file per language (data/languages/<code>.po), which translators edit.

The language of the turn being answered is a context variable: the engine wraps a turn in
`speaking(state.language)`, so `_()` anywhere below it translates into the shopper's language without
every function taking a `language` argument. Texts with values use named placeholders and are filled in
after translation: `_("{name} is in stock").format(name=…)`, so translators can move the values.
"""

from __future__ import annotations

import contextvars
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from babel.messages.pofile import read_po

LANGUAGES_DIR = Path(__file__).resolve().parents[2] / "data" / "languages"
SOURCE_LANGUAGE = "en"

_speaking: contextvars.ContextVar[str] = contextvars.ContextVar("speaking", default=SOURCE_LANGUAGE)
_catalogues: dict[str, dict[str, str]] = {}
_lock = threading.Lock()


def translations(language: str) -> dict[str, str]:
    """msgid -> msgstr of one language's catalogue (translated, non-fuzzy entries only); {} for English."""
    if language == SOURCE_LANGUAGE:
        return {}
    with _lock:
        if language not in _catalogues:
            _catalogues[language] = _read(LANGUAGES_DIR / f"{language}.po")
    return _catalogues[language]


def _read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }


def current() -> str:
    """The language of the turn being answered ("en", "id", "fi")."""
    return _speaking.get()


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Within the block, `_()` translates into `language` (English when None or unknown)."""
    token = _speaking.set(language or SOURCE_LANGUAGE)
    try:
        yield
    finally:
        _speaking.reset(token)


def _(message: str) -> str:
    """`message` in the language being spoken; the English text when it has no translation (yet)."""
    if not message:
        return message
    return translations(_speaking.get()).get(message, message)


def N_(message: str) -> str:
    """Marks a constant for translation where it is defined; it is translated with `_()` where it is said."""
    return message


_LOCALES = {"id": "id_ID", "fi": "fi_FI"}


def locale_for(default: str = "en_GB") -> str:
    """The Babel locale for dates in the language being spoken (the store's own locale for English)."""
    return _LOCALES.get(_speaking.get(), default)


def translate_to(language: str, message: str) -> str:
    """`message` in `language`, whatever language the current turn speaks (e.g. the "I speak …" reply)."""
    with speaking(language):
        return _(message)
