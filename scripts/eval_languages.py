"""Language detection accuracy on labelled shopper messages (`make eval`).

A labelled file is YAML in one of these shapes (the language is a code: en, id, fi, or another language's
English name, e.g. Vietnamese, for messages the assistant must answer with "I speak …"):

    messages: [{text: "ada sepatu coklat?", language: id}, ...]     # or a bare list of such items
    id: ["ada sepatu coklat?", ...]                                  # or texts grouped by language

A message counts as right when `detect()` names its language; for an unsupported language, any language
the assistant doesn't speak counts (the reply is the same). Messages too neutral to tell ("ok", "9")
belong in no file. Prints a summary per language; `--verbose` lists the misses (never on a held-out file
while tuning). Exits 1 below `--min`.

    .venv/bin/python -m scripts.eval_languages [FILES...] [--min 0.97] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import yaml

from bot.languages import SUPPORTED, detect

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILES = (ROOT / "tests" / "languages" / "detection_dev.yml", ROOT / "tests" / "languages" / "detection_dev_sms.yml",
                 ROOT / "tests" / "nlu" / "language_holdout.yml")


def labelled(document: Any) -> Iterator[tuple[str, str]]:
    """(text, language) pairs from any of the accepted shapes."""
    if isinstance(document, dict) and ("messages" in document or "examples" in document):
        document = document.get("messages") or document.get("examples")
    if isinstance(document, list):
        for item in document:
            if isinstance(item, dict):
                text = item.get("text") or item.get("message")
                language = item.get("language") or item.get("lang")
                if text and language:
                    yield str(text), str(language)
        return
    if isinstance(document, dict):
        for language, texts in document.items():
            if isinstance(texts, list) and str(language) not in ("version", "nlu"):
                for text in texts:
                    yield str(text), str(language)


def right(expected: str, found: str | None) -> bool:
    if expected in SUPPORTED:
        return found == expected
    return found is not None and found not in SUPPORTED


def evaluate(path: Path, verbose: bool) -> tuple[int, int]:
    pairs = list(labelled(yaml.safe_load(path.read_text(encoding="utf-8"))))
    totals: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    misses = []
    for text, language in pairs:
        group = language if language in SUPPORTED else "other"
        found = detect(text)
        totals[group] += 1
        if right(language, found):
            hits[group] += 1
        else:
            misses.append((text, language, found))
    correct, total = sum(hits.values()), sum(totals.values())
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {correct}/{total} right "
          f"({correct / total:.1%})" if total else f"{path}: no labelled messages")
    for group in sorted(totals):
        print(f"    {group:6} {hits[group]}/{totals[group]}  ({hits[group] / totals[group]:.1%})")
    if verbose:
        for text, language, found in misses:
            print(f"    miss: {text!r}: {language}, detected {found}")
    return correct, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--min", type=float, default=0.0, help="fail below this share right (e.g. 0.97)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss (not for held-out files while tuning)")
    args = parser.parse_args(argv)
    files = args.files or [path for path in DEFAULT_FILES if path.exists()]
    correct = total = 0
    for path in files:
        got, out_of = evaluate(path.resolve(), args.verbose)
        correct, total = correct + got, total + out_of
    share = correct / total if total else 0.0
    print(f"language detection: {correct}/{total} right ({share:.1%})")
    return 1 if total and share < args.min else 0


if __name__ == "__main__":
    sys.exit(main())
