"""How often each supported language uses a word, learnt from the NLU training examples written in it.

Short shopper messages give lingua (character n-grams) too little to go on: "cheers mate", "mksh min",
"onks teil trailblazer 43". The training examples are exactly such messages, one set per language
(data/nlu/lang_id*.yml are Indonesian, lang_fi*.yml Finnish, the other files English), so their words
are counted per language, with the annotated names and numbers left out (a product, store, size or
quantity says nothing about the language: "kinder fleece" is in every language's examples). The marker
words and shopping terms of data/languages/<code>.yml count too. Catalogue names (the generated lookups)
and colours are taken out of a message before it is scored, for the same reason.

No Rasa imports: the YAML is read directly.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
NLU_DIR = DATA_DIR / "nlu"
LANGUAGES_DIR = DATA_DIR / "languages"
FILE_LANGUAGE = (("lang_id", "id"), ("lang_fi", "fi"))  # file name prefix -> language; the rest is English
# Entities that are names or numbers, the same in every language; colours stay ("coklat", "mustana").
_NAME_ENTITIES = frozenset({"product", "store", "size", "quantity", "order_reference"})
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\((\w+)(?::[^)]*)?\)|\{[^}]*\"entity\":\s*\"(\w+)\"[^}]*\})")
# Whole words only: the "l" of "25L" or the "x" of "x2" is no word.
WORD = re.compile(r"(?<![\w'-])[^\W\d_]+(?:['-][^\W\d_]+)*(?![\w'-])", re.U)
_SMOOTHING = 0.5
# A term form or marker counts as if seen this many times in the examples.
_LEXICON_WEIGHT = 3


@dataclass(frozen=True)
class Vocabulary:
    counts: dict[str, Counter[str]]  # language -> word -> count
    totals: dict[str, int]
    size: int  # distinct words over all languages

    def knows(self, word: str) -> bool:
        return any(word in counts for counts in self.counts.values())

    def log_likelihoods(self, words: list[str]) -> dict[str, float]:
        """Sum over the known words of log P(word | language); unknown words are left to lingua."""
        scores = dict.fromkeys(self.counts, 0.0)
        for word in words:
            if not self.knows(word):
                continue
            for language, counts in self.counts.items():
                scores[language] += math.log((counts[word] + _SMOOTHING) / (self.totals[language] + _SMOOTHING * self.size))
        return scores


def language_of_file(path: Path) -> str:
    return next((code for prefix, code in FILE_LANGUAGE if path.stem.startswith(prefix)), "en")


def _without_names(example: str) -> str:
    """An annotated example with its name and number entities removed and the other annotations unwrapped."""
    def unwrap(match: re.Match[str]) -> str:
        entity = match.group(2) or match.group(3)
        return " " if entity in _NAME_ENTITIES else match.group(1)

    return _ANNOTATION.sub(unwrap, example)


def words_of(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text)]


def _examples(path: Path) -> list[str]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found: list[str] = []
    for block in raw.get("nlu") or ():
        if "intent" in block and isinstance(block.get("examples"), str):
            found += [line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- ")]
    return found


def _lexicon_words(language: str) -> list[str]:
    path = LANGUAGES_DIR / f"{language}.yml"
    raw = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
    words = [str(word) for word in raw.get("markers") or ()]
    words += [form for forms in (raw.get("terms") or {}) for form in str(forms).split("|")]
    words += [str(answer) for answer in (raw.get("answers") or {})]
    return [word for phrase in words for word in words_of(phrase)]


@lru_cache(maxsize=1)
def vocabulary(nlu_dir: Path = NLU_DIR) -> Vocabulary:
    counts: dict[str, Counter[str]] = {"en": Counter(), "id": Counter(), "fi": Counter()}
    for path in sorted(nlu_dir.glob("*.yml")):
        language = language_of_file(path)
        for example in _examples(path):
            counts[language].update(words_of(_without_names(example)))
    for language, counter in counts.items():
        for word in _lexicon_words(language):
            counter[word] += _LEXICON_WEIGHT
    distinct = set().union(*counts.values())
    return Vocabulary(counts, {language: sum(counter.values()) for language, counter in counts.items()}, len(distinct))


@lru_cache(maxsize=1)
def catalogue_names(lookups_dir: Path = NLU_DIR / "lookups") -> tuple[str, ...]:
    """Product and store names and catalogue colours of the generated lookups, longest first (so "kinder
    fleece" goes before "kinder"): "navy" is said in every language's messages."""
    names: set[str] = set()
    for name in ("products.yml", "stores.yml", "colours.yml"):
        path = lookups_dir / name
        if path.exists():
            for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or ():
                if "lookup" in block:
                    names |= {line.strip()[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- ")}
    return tuple(sorted((name for name in names if len(name) >= 3), key=len, reverse=True))


@lru_cache(maxsize=1)
def _names_pattern() -> re.Pattern[str]:
    alternation = "|".join(re.escape(name) for name in catalogue_names())
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w])", re.I)


def without_catalogue_names(text: str) -> str:
    """`text` with the catalogue's product and store names blanked out."""
    return _names_pattern().sub(" ", text) if catalogue_names() else text
