"""Extracts the shopper-facing texts (`_("…")`, `N_("…")`) from the source into data/languages/messages.pot
and merges it into each language's catalogue (data/languages/<code>.po), which translators edit.

    python -m scripts.update_messages           # rewrite messages.pot, add new texts to id.po and fi.po
    python -m scripts.update_messages --check   # exit 1 when messages.pot is stale or a text is untranslated

A text no longer in the source is dropped from the .po files (kept by Babel as obsolete, `#~`, for reference);
a new one arrives untranslated, and `--check` (run by a test) fails until it is translated.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES_DIR = ROOT / "data" / "languages"
TEMPLATE = LANGUAGES_DIR / "messages.pot"
TRANSLATED = ("id", "fi")
NOT_TEXTS = frozenset({"size", "colour", "store", "product", "quantity"})
SOURCES = ("bot", "connectors", "actions")
# `_`/`N_` mark texts; a literal said, asked or put on a button is translated by Turn.say/ask, so it is extracted too.
PLACEHOLDER = re.compile(r"\{(\w+)")
KEYWORDS = {"_": None, "N_": None, "say": (1,), "ask": (2,), "Button": (1,), "offer_checkout": (2,)}


def extract() -> Catalog:
    template = Catalog(project="fellside-shop", charset="utf-8")
    for source in SOURCES:
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT / source, method_map=[("**.py", "python")], keywords=KEYWORDS,
        ):
            # A conditional inside a call yields its other literals too ("size" in `x if slot == "size" else y`):
            # only texts with a letter, and not the engine's own slot names, are shopper-facing.
            if isinstance(message, str) and any(ch.isalpha() for ch in message) and message not in NOT_TEXTS:
                template.add(message)
    return template


def as_text(catalog: Catalog) -> str:
    buffer = io.BytesIO()
    write_po(buffer, catalog, omit_header=True, no_location=True, sort_output=True, width=0)
    return buffer.getvalue().decode("utf-8")


def merged(language: str, template: Catalog) -> Catalog:
    path = LANGUAGES_DIR / f"{language}.po"
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
    else:
        catalog = Catalog(locale=language, project="fellside-shop", charset="utf-8")
    catalog.update(template, no_fuzzy_matching=True)
    return catalog


def problems(template: Catalog) -> list[str]:
    found = []
    if not TEMPLATE.exists() or TEMPLATE.read_text(encoding="utf-8") != as_text(template):
        found.append(f"{TEMPLATE.relative_to(ROOT)} is stale: run `make messages`")
    for language in TRANSLATED:
        catalog = merged(language, template)
        missing = [str(message.id) for message in catalog if message.id and (not message.string or message.fuzzy)]
        found += [f"{language}.po: untranslated: {text!r}" for text in missing]
        # A translation that names a value the source doesn't have would fail when filled in (KeyError).
        found += [f"{language}.po: unknown placeholder in {str(message.id)!r}" for message in catalog
                  if message.id and message.string and not set(PLACEHOLDER.findall(str(message.string))) <= set(PLACEHOLDER.findall(str(message.id)))]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail on a stale template or untranslated texts")
    args = parser.parse_args(argv)
    template = extract()
    if args.check:
        found = problems(template)
        for line in found:
            print(line)
        print(f"{len(template) } texts; {len(found)} problem(s)")
        return 1 if found else 0
    TEMPLATE.write_text(as_text(template), encoding="utf-8")
    for language in TRANSLATED:
        catalog = merged(language, template)
        with (LANGUAGES_DIR / f"{language}.po").open("wb") as handle:
            write_po(handle, catalog, no_location=True, sort_output=True, width=0, include_previous=False)
        untranslated = sum(1 for message in catalog if message.id and not message.string)
        print(f"{language}.po: {len(template)} texts, {untranslated} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
