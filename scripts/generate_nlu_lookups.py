"""Writes NLU lookup tables and entity synonyms (data/nlu/lookups/*.yml) from the catalogue CSVs.

Rasa's DIET model learns to tag `store`, `product`, `colour` and `size` from the annotated examples; the
lookup tables give it a feature for every name in the catalogue (so a product nobody wrote an example
for is still recognised), and the synonyms turn what was tagged into the value the actions expect:
a store id ("the arndale", "town centre one", "arndlae" -> `arndale`), a catalogue colour ("gray" -> `Grey`)
or a catalogue size ("medium" -> `M`).

The YAML files are generated output: after changing data/catalog (or the nicknames below) rerun

    .venv/bin/python -m scripts.generate_nlu_lookups           # rewrite the files
    .venv/bin/python -m scripts.generate_nlu_lookups --check   # exit 1 when they are out of date

and retrain. tests/test_nlu_quality.py fails when the files are out of date.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = PROJECT_ROOT / "data" / "catalog"
LOOKUPS_DIR = PROJECT_ROOT / "data" / "nlu" / "lookups"

# Names shoppers use for a store that its catalogue name does not contain. Keyed by store id; ids that
# are not in stores.csv are ignored, so a retailer with other stores simply edits this table.
STORE_NICKNAMES: dict[str, tuple[str, ...]] = {
    "arndale": ("town", "town centre", "town centre one", "city centre", "city centre one", "manchester arndale",
                "market street", "the one in town", "manchester city centre", "piccadilly one"),
    "trafford": ("the trafford", "trafford park", "intu trafford", "trafford center", "trafford centre one",
                 "the traff", "traff"),
    "didsbury": ("didsbury village", "wilmslow road"),
    "salford-quays": ("the quays", "quays", "lowry", "lowry outlet", "media city", "mediacity", "salford"),
    "stockport": ("merseyway", "stockport town centre", "stocky"),
    "altrincham": ("alty", "altrinchum", "george street", "altrincham town centre"),
    # Jakarta (data/catalog/markets/id): the names shoppers text for the malls.
    "grand-indonesia": ("grand indo", "grand indonesia mall", "thamrin"),
    "kota-kasablanka": ("kokas", "kota kasablanka mall", "casablanca", "kasablanka mall"),
    "pondok-indah": ("pim", "pim 2", "pim2", "pondok indah"),
}

# Words that are part of a store's name but never name it on their own ("kota" is Indonesian for city,
# "indah" for beautiful, and "indonesia" names the language too: "bahasa indonesia saja").
_GENERIC_WORDS = frozenset({"the", "centre", "center", "store", "shop", "manchester", "retail", "park",
                            "mall", "grand", "indonesia", "kota", "indah"})
# How shoppers point at a store: "arndale store", "the didsbury one".
_STORE_SUFFIXES = ("store", "shop", "branch", "one")

# Spellings of colours that are not the catalogue's own ("gray" for Grey).
COLOUR_VARIANTS: dict[str, tuple[str, ...]] = {
    "Grey": ("gray", "gry", "light grey", "light gray"),
    "Charcoal": ("dark grey", "dark gray", "charcoal grey"),
    "Black": ("blk", "blck", "jet black"),
    "Brown": ("brn", "brwn", "dark brown", "choc brown"),
    "Navy": ("nvy", "navy blue", "dark blue"),
    "Blue": ("blu", "light blue", "sky blue", "royal blue"),
    "Green": ("grn", "forest green", "dark green", "bottle green"),
    "Olive": ("olive green",),
    "White": ("wht",),
    "Burgundy": ("maroon", "wine", "wine red"),
    "Sand": ("beige",),
    "Tan": ("camel",),
    "Yellow": ("mustard",),
    "Teal": ("turquoise",),
    "Red": ("rd",),
    "Orange": ("orng",),
}

# Ways to say a letter size.
SIZE_WORDS: dict[str, tuple[str, ...]] = {
    "XS": ("extra small", "x small", "xsmall", "xtra small"),
    "S": ("small", "sml", "smll"),
    "M": ("medium", "med", "meduim", "medum"),
    "L": ("large", "lrg", "lge", "larg"),
    "XL": ("extra large", "x large", "xlarge", "xtra large", "x-large"),
    "XXL": ("xx large", "2xl", "extra extra large", "xxlarge"),
    "One Size": ("one size", "onesize", "one size fits all"),
}
_NUMBER_WORDS = {
    "4": "four", "5": "five", "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten",
    "11": "eleven", "12": "twelve",
}


@dataclass(frozen=True)
class Catalogue:
    """The parts of data/catalog the NLU needs."""

    stores: list[tuple[str, str]]  # (id, name)
    products: list[str]  # names
    colours: list[str]
    sizes: list[str]


def read_catalogue(catalog_dir: Path = CATALOG_DIR) -> Catalogue:
    """Reads stores, product names, colours and sizes from the catalogue CSVs.

    Raises:
        FileNotFoundError: A required CSV is missing.
        KeyError: A CSV lacks a required column.
    """

    def rows(name: str) -> list[dict[str, str]]:
        with (catalog_dir / name).open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    variants = rows("variants.csv")
    return Catalogue(
        stores=[(row["id"].strip(), row["name"].strip()) for row in _market_rows(catalog_dir, "stores.csv")],
        products=[row["name"].strip() for row in rows("products.csv")],
        colours=_unique(row["colour"].strip() for row in variants if row["colour"].strip()),
        sizes=_unique(row["size"].strip() for row in variants if row["size"].strip()),
    )


def _market_rows(catalog_dir: Path, name: str) -> list[dict[str, str]]:
    """Rows of `name` in the catalogue folder and in each market's folder (markets/<id>/ for every id of
    markets.csv), the layout the catalogue loader reads: the Jakarta stores live in markets/id/stores.csv."""
    paths = [catalog_dir / name]
    markets_csv = catalog_dir / "markets.csv"
    if markets_csv.is_file():
        with markets_csv.open(newline="", encoding="utf-8") as handle:
            paths += [catalog_dir / "markets" / row["id"].strip() / name for row in csv.DictReader(handle)]
    found: list[dict[str, str]] = []
    for path in dict.fromkeys(paths):
        if path.is_file():
            with path.open(newline="", encoding="utf-8-sig") as handle:
                found += list(csv.DictReader(handle))
    return found


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _simple(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9.' -]+", " ", text.lower())).strip()


def _typos(word: str) -> set[str]:
    """One-letter slips of a long word (a letter dropped, two neighbours swapped), as SMS shoppers make."""
    if len(word) < 7 or " " in word:
        return set()
    dropped = {word[:i] + word[i + 1:] for i in range(1, len(word))}
    swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(1, len(word) - 1)}
    return (dropped | swapped) - {word}


def store_aliases(catalogue: Catalogue, with_typos: bool = True) -> dict[str, list[str]]:
    """Store id -> every lower-case phrase that names it (excluding the id itself).

    Args:
        catalogue: The catalogue read by `read_catalogue`.
        with_typos: Also list one-letter slips of the longer names ("arndlae"), for synonyms.
    """
    word_owners: dict[str, set[str]] = {}
    for store_id, name in catalogue.stores:
        for word in _simple(name).split():
            if len(word) >= 4 and word not in _GENERIC_WORDS:
                word_owners.setdefault(word, set()).add(store_id)
    aliases: dict[str, set[str]] = {}
    for store_id, name in catalogue.stores:
        names = {_simple(name), _simple(store_id.replace("-", " "))}
        names |= {word for word, owners in word_owners.items() if owners == {store_id}}
        names |= {_simple(nickname) for nickname in STORE_NICKNAMES.get(store_id, ())}
        with_suffix = {f"{base} {suffix}" for base in names for suffix in _STORE_SUFFIXES if " " not in base}
        typos = set().union(*(_typos(base) for base in names)) if with_typos else set()
        aliases[store_id] = (names | with_suffix | typos) - {store_id}
    return _without_shared(aliases)


def _without_shared(aliases: dict[str, set[str]]) -> dict[str, list[str]]:
    """A phrase two stores could own names neither of them."""
    owners: dict[str, int] = {}
    for phrases in aliases.values():
        for phrase in phrases:
            owners[phrase] = owners.get(phrase, 0) + 1
    return {store_id: sorted(p for p in phrases if owners[p] == 1) for store_id, phrases in aliases.items()}


def product_phrases(catalogue: Catalogue) -> list[str]:
    """Lower-case product names, their distinctive first words and their head nouns (with plurals)."""
    phrases: set[str] = set()
    for name in catalogue.products:
        simple = _simple(name)
        phrases.add(simple)
        words = [word for word in simple.split() if not any(char.isdigit() for char in word)]  # not "25l"
        if not words:
            continue
        head = words[-1]  # "boot" of "Trailblazer Waterproof Hiking Boot"
        phrases |= {words[0], head, _plural(head)}
        if len(words) > 1:
            phrases |= {f"{words[0]} {head}", f"{words[0]} {_plural(head)}"}
    return sorted(phrase for phrase in phrases if len(phrase) >= 3 and not phrase.isdigit())


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es" if not word.endswith("s") else word
    return word + "s"


def colour_synonyms(catalogue: Catalogue) -> dict[str, list[str]]:
    """Catalogue colour -> other spellings that mean it (only colours the catalogue sells)."""
    return {colour: sorted(set(COLOUR_VARIANTS.get(colour, ()))) for colour in catalogue.colours
            if COLOUR_VARIANTS.get(colour)}


def size_synonyms(catalogue: Catalogue) -> dict[str, list[str]]:
    """Catalogue size -> words for it ("medium" for M, "nine" for 9)."""
    result: dict[str, list[str]] = {}
    for size in catalogue.sizes:
        words = set(SIZE_WORDS.get(size, ()))
        whole = size.removesuffix(".5")
        if whole in _NUMBER_WORDS:
            spoken = _NUMBER_WORDS[whole]
            words |= {f"{spoken} and a half", f"{whole} and a half", f"{whole} 1/2", f"{whole}½"} if size.endswith(".5") \
                else {spoken}
        words.discard(size.lower())
        if words:
            result[size] = sorted(words)
    return result


def _yaml_text(value: str, quote: bool = False) -> str:
    """A YAML scalar: plain when safe (and not `quote`), else double-quoted ("6.5" stays a string)."""
    if not quote and re.fullmatch(r"[a-z][a-z0-9 .'-]*", value) and not value.endswith((" ", ".")):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _block(kind: str, name: str, values: Iterable[str]) -> str:
    items = "".join(f"    - {_yaml_text(value)}\n" for value in values)
    return f"- {kind}: {_yaml_text(name, quote=kind == 'synonym')}\n  examples: |\n{items}"


_HEADER = (
    "# GENERATED by scripts/generate_nlu_lookups.py from data/catalog: do not edit by hand.\n"
    "# Rerun `.venv/bin/python -m scripts.generate_nlu_lookups` after changing the catalogue.\n"
    'version: "3.1"\nnlu:\n'
)


def render_lookups(catalogue: Catalogue) -> dict[str, str]:
    """File name -> YAML text of every generated lookup/synonym file."""
    aliases = store_aliases(catalogue)
    stores = _HEADER + "".join(_block("synonym", store_id, phrases) for store_id, phrases in aliases.items())
    plain_names = store_aliases(catalogue, with_typos=False)
    store_lookup = sorted({_simple(name) for _, name in catalogue.stores}
                          | {_simple(store_id.replace("-", " ")) for store_id, _ in catalogue.stores}
                          | {phrase for phrases in plain_names.values() for phrase in phrases})
    stores += _block("lookup", "store", store_lookup)

    products = _HEADER + _block("lookup", "product", product_phrases(catalogue))

    colour_map = colour_synonyms(catalogue)
    colours = _HEADER + "".join(_block("synonym", colour, spellings) for colour, spellings in colour_map.items())
    colour_words = {colour.lower() for colour in catalogue.colours} | {s for v in colour_map.values() for s in v}
    colours += _block("lookup", "colour", sorted(colour_words))

    size_map = size_synonyms(catalogue)
    sizes = _HEADER + "".join(_block("synonym", size, words) for size, words in size_map.items())
    # Single letters ("m" of "i'm") would fire everywhere: DIET learns those from the examples instead.
    letter_sizes = [size.lower() for size in catalogue.sizes if len(size) > 1 and not re.fullmatch(r"[\d.]+", size)]
    size_words = set(letter_sizes) | {word for words in size_map.values() for word in words if not word[0].isdigit()}
    sizes += _block("lookup", "size", sorted(size_words))
    return {"stores.yml": stores, "products.yml": products, "colours.yml": colours, "sizes.yml": sizes}


def stale_files(catalog_dir: Path = CATALOG_DIR, lookups_dir: Path = LOOKUPS_DIR) -> list[str]:
    """Names of generated files that are missing or differ from what the catalogue gives now."""
    expected = render_lookups(read_catalogue(catalog_dir))
    return [name for name, text in expected.items()
            if not (lookups_dir / name).exists() or (lookups_dir / name).read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=CATALOG_DIR)
    parser.add_argument("--out", type=Path, default=LOOKUPS_DIR)
    parser.add_argument("--check", action="store_true", help="only report whether the files are up to date")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.catalog, args.out)
        for name in stale:
            print(f"out of date: {args.out / name}")
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in render_lookups(read_catalogue(args.catalog)).items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
