"""Loads the catalogue CSVs (stores, hours, closures, places, products, variants, stock) into the database.

The load is an idempotent upsert: rows are matched by primary key, only rows whose values differ are
written, so running it twice changes nothing and editing one CSV line updates exactly one row. Rows that
disappear from a CSV are left alone (orders may still point at them); set stock to 0 instead.
`reserved` stock is never touched: it belongs to live click-and-collect holds, not to the feed.
Every row is validated first and the whole load is one transaction, so a bad file changes nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from sqlalchemy import select

from bot.catalog.hours import parse_weekday
from bot.markets.rules import check_payment_methods, parse_country, parse_languages, parse_link_provider, parse_locale
from bot.kernel.money import whole_cash_units
from bot.kernel.models import Inventory, Market, MarketPrice, Place, Product, Store, StoreClosure, StoreHours, Variant
from bot.catalog import seed_cells as cell
from bot.catalog.catalogue_index import refresh_index
from bot.kernel.unit_of_work import UnitOfWork

Converter = Callable[[str], Any]
# A market's own files (stores, hours, prices, stock, ...) may sit in markets/<market id>/ beside the
# shared ones; they are loaded as if appended to the shared files of the same name.
MARKETS_FOLDER = "markets"


class CatalogFileError(ValueError):
    """A catalogue CSV that cannot be loaded; the message names the file and line."""

    def __init__(self, file_name: str, line: int, message: str) -> None:
        super().__init__(f"{file_name}, line {line}: {message}")
        self.file_name = file_name
        self.line = line


@dataclass(frozen=True)
class TableReport:
    """What loading one CSV did to its table."""

    file_name: str
    inserted: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class SeedReport:
    """What `load_catalog` did, one entry per CSV file loaded (absent optional files are skipped)."""

    tables: tuple[TableReport, ...] = field(default_factory=tuple)

    @property
    def inserted(self) -> int:
        return sum(table.inserted for table in self.tables)

    @property
    def updated(self) -> int:
        return sum(table.updated for table in self.tables)

    @property
    def changed(self) -> int:
        """Rows inserted or updated; 0 means the database already matched the files."""
        return self.inserted + self.updated

    def table(self, file_name: str) -> TableReport:
        for table in self.tables:
            if table.file_name == file_name:
                return table
        raise KeyError(file_name)


# --- what each file holds ------------------------------------------------------------------------


@dataclass(frozen=True)
class _TableSpec:
    file_name: str
    model: type
    key: tuple[str, ...]
    columns: dict[str, Converter]
    required_file: bool = True
    # column -> (file whose keys it must refer to)
    references: dict[str, str] = field(default_factory=dict)


_SPECS = (
    _TableSpec(
        "markets.csv", Market, ("id",),
        {
            "id": cell.text, "name": cell.text, "country": parse_country, "currency": cell.currency, "locale": parse_locale, "timezone": cell.timezone,
            "languages": parse_languages, "payment_methods": cell.text, "link_provider": parse_link_provider,
        },
        required_file=False,
    ),
    _TableSpec(
        "stores.csv", Store, ("id",),
        {
            "id": cell.text, "name": cell.text, "address": cell.text, "postcode": cell.text, "phone": cell.text,
            "latitude": cell.latitude, "longitude": cell.longitude, "timezone": cell.timezone, "currency": cell.currency,
            "locale": parse_locale, "safety_buffer": cell.non_negative_int, "pay_at_pickup": cell.boolean,
            "market_id": cell.optional_market,
        },
        references={"market_id": "markets.csv"},
    ),
    _TableSpec(
        "store_hours.csv", StoreHours, ("store_id", "weekday"),
        {"store_id": cell.text, "weekday": parse_weekday, "opens": cell.optional_time, "closes": cell.optional_time},
        references={"store_id": "stores.csv"},
    ),
    _TableSpec(
        "store_closures.csv", StoreClosure, ("store_id", "day"),
        {"store_id": cell.text, "day": cell.iso_date, "reason": cell.text, "opens": cell.optional_time, "closes": cell.optional_time},
        required_file=False, references={"store_id": "stores.csv"},
    ),
    _TableSpec(
        "places.csv", Place, ("name",), {"name": cell.text, "latitude": cell.latitude, "longitude": cell.longitude},
        required_file=False,
    ),
    _TableSpec(
        "products.csv", Product, ("id",),
        {
            "id": cell.text, "name": cell.text, "category": cell.text, "brand": cell.optional_text, "description": cell.optional_text,
            "audience": cell.audience, "tags": cell.tags, "sleeps": cell.optional_non_negative_int, "volume_l": cell.optional_non_negative_int,
        },
    ),
    _TableSpec(
        "variants.csv", Variant, ("sku",),
        {
            "sku": cell.text, "product_id": cell.text, "colour": cell.optional_text, "size": cell.optional_text,
            "price_minor": cell.non_negative_int, "currency": cell.currency,
        },
        references={"product_id": "products.csv"},
    ),
    _TableSpec(
        "market_prices.csv", MarketPrice, ("market_id", "sku"),
        {"market_id": cell.text, "sku": cell.text, "price_minor": cell.non_negative_int},
        required_file=False, references={"market_id": "markets.csv", "sku": "variants.csv"},
    ),
    _TableSpec(
        "inventory.csv", Inventory, ("store_id", "sku"),
        {"store_id": cell.text, "sku": cell.text, "on_hand": cell.non_negative_int, "safety_buffer": cell.optional_non_negative_int},
        required_file=False, references={"store_id": "stores.csv", "sku": "variants.csv"},
    ),
)

_OPTIONAL_COLUMNS = {
    ("stores.csv", "market_id"),
    ("inventory.csv", "safety_buffer"), ("products.csv", "brand"), ("products.csv", "description"),
    ("products.csv", "audience"), ("products.csv", "tags"), ("products.csv", "sleeps"), ("products.csv", "volume_l"),
}


def load_catalog(uow: UnitOfWork, catalog_dir: Path) -> SeedReport:
    """Upserts every catalogue CSV in `catalog_dir` in one transaction.

    Args:
        uow: Unit of work; committed when every file loaded.
        catalog_dir: Folder holding stores.csv, store_hours.csv, products.csv, variants.csv and
            optionally markets.csv, store_closures.csv, places.csv, market_prices.csv and
            inventory.csv; and optionally markets/<id>/ folders holding more rows of any of them.

    Returns:
        Per-file counts of inserted, updated and unchanged rows.

    Raises:
        CatalogFileError: A file is missing, or a row is malformed, duplicated or refers to
            something that does not exist; nothing is written in that case.
    """
    catalog_dir = Path(catalog_dir)
    parsed: dict[str, _ParsedFile] = {}
    for spec in _SPECS:
        paths = _paths_of(catalog_dir, spec.file_name)
        if spec.required_file and not (catalog_dir / spec.file_name).is_file():
            raise CatalogFileError(spec.file_name, 0, f"file not found in {catalog_dir}")
        if not paths:
            continue
        parsed[spec.file_name] = _ParsedFile([], [])
        seen: dict[tuple[Any, ...], tuple[str, int]] = {}
        for path in paths:
            _parse_file(path, path.relative_to(catalog_dir).as_posix(), spec, parsed[spec.file_name], seen)
    check_market_rows(parsed)

    known_keys: dict[str, set[Any]] = {}
    reports: list[TableReport] = []
    for spec in _SPECS:
        loaded = parsed.get(spec.file_name)
        if loaded is None:
            continue
        existing = _existing_rows(uow, spec)
        known_keys[spec.file_name] = {row[spec.key[0]] for row in loaded.rows} | {key[0] for key in existing}
        _check_references(spec, loaded, known_keys)
        reports.append(_upsert(uow, spec, loaded.rows, existing))
    uow.commit()
    refresh_index()
    return SeedReport(tuple(reports))


def _paths_of(catalog_dir: Path, file_name: str) -> list[Path]:
    """The file in the catalogue folder, then the same file in each market folder (markets/<id>/)."""
    paths = [catalog_dir / file_name] + sorted((catalog_dir / MARKETS_FOLDER).glob(f"*/{file_name}"))
    return [path for path in paths if path.is_file()]


def check_market_rows(parsed: dict[str, "_ParsedFile"]) -> None:
    """Checks that span files: a market's methods exist at its provider, a store's currency is its
    market's, and a market price is a whole cash amount in the market's currency (IDR: whole rupiah).
    """
    markets = parsed.get("markets.csv", _ParsedFile([], []))
    currency_of: dict[str, str] = {}
    for row, (shown_as, line) in zip(markets.rows, markets.lines):
        try:
            row["payment_methods"] = check_payment_methods(row["link_provider"], row["payment_methods"])
        except ValueError as error:
            raise CatalogFileError(shown_as, line, f"payment_methods {error}") from None
        currency_of[row["id"]] = row["currency"]
    stores = parsed.get("stores.csv", _ParsedFile([], []))
    for row, (shown_as, line) in zip(stores.rows, stores.lines):
        wanted = currency_of.get(row.get("market_id") or "")
        if wanted and row["currency"] != wanted:
            raise CatalogFileError(shown_as, line, f"currency {row['currency']} is not market {row['market_id']}'s {wanted}")
    prices = parsed.get("market_prices.csv", _ParsedFile([], []))
    for row, (shown_as, line) in zip(prices.rows, prices.lines):
        currency = currency_of.get(row["market_id"])
        if currency and not whole_cash_units(row["price_minor"], currency):
            raise CatalogFileError(shown_as, line, f"price_minor {row['price_minor']} is not a whole cash amount of {currency}")


@dataclass(frozen=True)
class _ParsedFile:
    rows: list[dict[str, Any]]
    lines: list[tuple[str, int]]  # the file and line each row came from, for error messages


def _parse_file(
    path: Path, shown_as: str, spec: _TableSpec, into: _ParsedFile, seen: dict[tuple[Any, ...], tuple[str, int]]
) -> None:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in (reader.fieldnames or [])]
        missing = [
            name for name in spec.columns
            if name not in header and (spec.file_name, name) not in _OPTIONAL_COLUMNS
        ]
        if missing:
            raise CatalogFileError(shown_as, 1, f"missing column(s): {', '.join(missing)}")
        reader.fieldnames = header
        for raw in reader:
            line = reader.line_num
            row = _convert_row(spec, raw, shown_as, line)
            key = tuple(row[name] for name in spec.key)
            if key in seen:
                first_file, first_line = seen[key]
                raise CatalogFileError(
                    shown_as, line, f"duplicate {'/'.join(spec.key)} {key!r} (first in {first_file} on line {first_line})"
                )
            seen[key] = (shown_as, line)
            into.rows.append(row)
            into.lines.append((shown_as, line))


def _convert_row(spec: _TableSpec, raw: dict[str, str | None], shown_as: str, line: int) -> dict[str, Any]:
    if None in raw:  # csv puts surplus cells under the key None
        raise CatalogFileError(shown_as, line, "more cells than columns (an unquoted comma?)")
    row: dict[str, Any] = {}
    for name, convert in spec.columns.items():
        value = raw.get(name)
        if value is None and (spec.file_name, name) in _OPTIONAL_COLUMNS:
            value = ""
        if value is None:
            raise CatalogFileError(shown_as, line, f"missing a value for {name}")
        try:
            row[name] = convert(value)
        except ValueError as error:
            raise CatalogFileError(shown_as, line, f"{name} {error}") from None
    if "opens" in row:
        _check_opening_times(shown_as, line, row["opens"], row["closes"])
    return row


def _check_opening_times(file_name: str, line: int, opens: str | None, closes: str | None) -> None:
    if (opens is None) != (closes is None):
        raise CatalogFileError(file_name, line, "give both opens and closes, or neither for closed all day")
    if opens is not None and closes is not None and opens >= closes:
        raise CatalogFileError(file_name, line, f"opens {opens} is not before closes {closes}")


def _existing_rows(uow: UnitOfWork, spec: _TableSpec) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    columns = [getattr(spec.model, name) for name in spec.columns]
    key_positions = [list(spec.columns).index(name) for name in spec.key]
    result: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for values in uow.session.execute(select(*columns)):
        result[tuple(values[i] for i in key_positions)] = tuple(values)
    return result


def _check_references(spec: _TableSpec, loaded: _ParsedFile, known: dict[str, set[Any]]) -> None:
    for column, target_file in spec.references.items():
        targets = known.get(target_file, set())
        for row, (shown_as, line) in zip(loaded.rows, loaded.lines):
            if row[column] is not None and row[column] not in targets:
                raise CatalogFileError(shown_as, line, f"{column} {row[column]!r} is not in {target_file}")


def _upsert(
    uow: UnitOfWork,
    spec: _TableSpec,
    rows: Sequence[dict[str, Any]],
    existing: dict[tuple[Any, ...], tuple[Any, ...]],
) -> TableReport:
    to_insert: list[dict[str, Any]] = []
    to_update: list[dict[str, Any]] = []
    for row in rows:
        key = tuple(row[name] for name in spec.key)
        current = existing.get(key)
        if current is None:
            to_insert.append(row)
        elif tuple(row.values()) != current:
            to_update.append(row)
    for batch in _batches(to_insert):
        uow.session.bulk_insert_mappings(spec.model, batch)
    for batch in _batches(to_update):
        uow.session.bulk_update_mappings(spec.model, batch)
    return TableReport(spec.file_name, len(to_insert), len(to_update), len(rows) - len(to_insert) - len(to_update))


def _batches(rows: list[dict[str, Any]], size: int = 1000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
