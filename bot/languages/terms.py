"""Indonesian and Finnish shopping words in the engine's English, so the conversation engine
(bot/conversation/) reasons in one language on a normalised message.

Each language's lexicon is data/languages/<code>.yml: `terms` (words and phrases inside a message; a key
may list several forms "ruskea|ruskeana|ruskeaa") and `answers` (whole messages: "iya kak" -> "yes").
One regular-expression alternation per language, longest phrase first, replaces them in one pass. Product
and store names stay as they are; Finnish case endings on names ("Arndalessa", "Didsburystä") come off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

LANGUAGES_DIR = Path(__file__).resolve().parents[2] / "data" / "languages"
# Finnish local and other case endings a shopper puts on a place or store name (longest first).
_FINNISH_ENDINGS = ("issa", "issä", "ista", "istä", "illa", "illä", "ilta", "iltä", "ille", "ihin", "ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "lle", "iin", "hin", "yyn", "aan",
                    "ään", "een", "ksi", "ia", "iä", "ta", "tä", "na", "nä", "an", "än", "in", "n", "a", "ä")
_FINAL = re.compile(r"[\s.!?,]+$")


@dataclass(frozen=True)
class Lexicon:
    language: str
    answers: dict[str, str]
    terms: dict[str, str]
    pattern: re.Pattern[str] | None
    particles: re.Pattern[str] | None = None  # dropped anywhere
    trailing: re.Pattern[str] | None = None  # dropped at the end of the message


@lru_cache(maxsize=None)
def lexicon(language: str) -> Lexicon:
    path = LANGUAGES_DIR / f"{language}.yml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    raw = raw or {}
    terms: dict[str, str] = {}
    for forms, english in (raw.get("terms") or {}).items():
        for form in str(forms).split("|"):
            terms[form.strip().lower()] = str(english)
            # Phones without Finnish keys: "loytyyko", "tummansinisena" are typed as often as the real spelling.
            terms.setdefault(without_umlauts(form.strip().lower()), str(english))
    answers = {str(key).lower(): str(value) for key, value in (raw.get("answers") or {}).items()}
    pattern = None
    if terms:
        alternation = "|".join(re.escape(form) for form in sorted(terms, key=len, reverse=True))
        # Whole words only; a hyphen joins a name to a Finnish word ("trailblazer-kenkiä") and counts as a gap.
        pattern = re.compile(rf"(?<![\w-])(?:{alternation})(?![\w])", re.I | re.U)
    particles = trailing = None
    if raw.get("particles"):
        particles = re.compile(rf"(?<![\w-])(?:{'|'.join(map(re.escape, raw['particles']))})(?![\w-])\s*", re.I)
    if raw.get("trailing"):
        forms = "|".join(map(re.escape, sorted(raw["trailing"], key=len, reverse=True)))
        trailing = re.compile(rf"(?:\s+(?:{forms}))+(?=\s*[?.!]*\s*$)", re.I)
    return Lexicon(language, answers, terms, pattern, particles, trailing)


def without_umlauts(word: str) -> str:
    """"löytyykö" -> "loytyyko": Finnish as typed on a keyboard without ä and ö."""
    return word.replace("ä", "a").replace("ö", "o")


# Indonesian writes a doubled word with a 2: "abu2" is "abu-abu" (grey), "anak2" is "anak-anak" (children).
_DOUBLED = re.compile(r"\b([^\W\d_]{2,})2\b", re.U)


def to_english(text: str, language: str, names: Iterable[str] = ()) -> str:
    """`text` with the language's shopping words in English ("ada sepatu coklat 42 di arndale ga?" ->
    "ada shoes brown 42 at arndale ga?"). English text, and words the lexicon doesn't know, pass unchanged."""
    if not text or language == "en":
        return text
    words = lexicon(language)
    if language == "id":
        text = _DOUBLED.sub(lambda m: f"{m.group(1)}-{m.group(1)}", text)
    whole = _FINAL.sub("", text.strip().lower())
    if whole in words.answers:
        return words.answers[whole]
    if words.particles is not None:
        text = words.particles.sub("", text).strip()
    if words.trailing is not None:
        text = words.trailing.sub("", text)
    whole = _FINAL.sub("", text.strip().lower())
    if whole in words.answers:
        return words.answers[whole]
    if language == "fi":
        text = without_case_endings(text, names)
    text = re.sub(r"(?<=\w)-(?=\w)", lambda m: " " if _joins_a_term(text, m.start(), words) else "-", text)
    if words.pattern is None:
        return text
    return words.pattern.sub(lambda m: words.terms[m.group(0).lower()], text)


def _joins_a_term(text: str, hyphen: int, words: Lexicon) -> bool:
    after = re.match(r"[\w-]+", text[hyphen + 1:])
    return bool(after and after.group(0).lower() in words.terms and text[:hyphen].split()[-1].lower() not in words.terms)


def term(value: str, language: str) -> str:
    """One entity value (a colour, size or product word) in English: "coklat" -> "brown"; else unchanged."""
    if language == "en":
        return value
    return lexicon(language).terms.get(value.strip().lower(), value)


def without_case_endings(text: str, names: Iterable[str]) -> str:
    """Finnish case endings taken off known names: "onko arndalessa" -> "onko arndale"."""
    known = {name.lower() for name in names if name}
    if not known:
        return text

    def base(match: re.Match[str]) -> str:
        word = match.group(0)
        lowered = word.lower()
        if lowered in known:
            return word
        for ending in _FINNISH_ENDINGS:
            if lowered.endswith(ending):
                stem = lowered[: -len(ending)]
                for candidate in (stem, stem + "e", stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else stem):
                    if candidate in known:
                        return candidate
        return word

    return re.sub(r"[^\W\d_]+", base, text)
