"""Bulk stock levels from a till or POS export: thousands of rows in one call, safe to send twice.

Input is CSV text (a header naming `sku` and `on_hand`, optionally `safety_buffer`) or JSON rows
(`[{"sku": ..., "on_hand": ...}]` or `{"rows": [...]}`). Each row sets the physical count of one SKU
at the calling store. Good rows are applied and bad rows are reported with their line number (CSV:
the line in the file, header = line 1; JSON: the row's 1-based position), in one transaction.

On hand below reserved: the row is REJECTED, not clamped. Units reserved for shoppers' open orders
are promised stock; a till count below them means someone must recount or cancel an order, and
silently raising the count (clamping) would invent stock the shelf does not have, while lowering it
below the reservations would let availability go negative. The rejected row is reported (with the
reserved count) and audit-logged, and the store's row keeps its previous values.

Idempotent: a row equal to what is stored is counted as unchanged and not written, so sending the
same export twice leaves the same state and the second report shows no changes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, select

from bot.kernel import audit, clock
from bot.kernel.inbound_text import load_json_body
from bot.kernel.models import Inventory, Store, Variant
from bot.kernel.unit_of_work import UnitOfWork

MAX_ROWS = 50_000
_CHUNK = 500  # keeps IN (...) lists well inside every database's parameter limit
_MAX_QUANTITY = 1_000_000
_inventory = Inventory.__table__


class StockSyncError(Exception):
    """The whole payload cannot be read (not one row applied)."""


@dataclass(frozen=True)
class RowProblem:
    line: int
    sku: str
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "sku": self.sku, "error": self.error}


@dataclass(frozen=True)
class StockSyncReport:
    store_id: str
    received: int
    created: int
    updated: int
    unchanged: int
    problems: tuple[RowProblem, ...]

    @property
    def applied(self) -> int:
        """Rows now matching the export (written or already equal)."""
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "store_id": self.store_id,
            "received": self.received,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.problems),
            "errors": [problem.as_dict() for problem in self.problems],
        }


@dataclass(frozen=True)
class _Row:
    line: int
    sku: str
    on_hand: int
    safety_buffer: int | None
    sets_buffer: bool


def _whole_number(value: Any, field: str, *, allow_empty: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_empty:
            return None
        raise ValueError(f"{field} is missing")
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"{field} must be a whole number, got {value!r}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{field} must be a whole number, got {str(value)[:40]!r}") from None
    if not 0 <= number <= _MAX_QUANTITY:
        raise ValueError(f"{field} must be from 0 to {_MAX_QUANTITY}, got {number}")
    return number


def _read_row(line: int, record: Mapping[str, Any], has_buffer_column: bool) -> _Row | RowProblem:
    sku = str(record.get("sku") or "").strip()
    if not sku:
        return RowProblem(line, "", "sku is missing")
    try:
        on_hand = _whole_number(record.get("on_hand"), "on_hand")
        sets_buffer = has_buffer_column or "safety_buffer" in record
        buffer = _whole_number(record.get("safety_buffer"), "safety_buffer", allow_empty=True) if sets_buffer else None
    except ValueError as error:
        return RowProblem(line, sku[:40], str(error))
    assert on_hand is not None
    return _Row(line, sku, on_hand, buffer, sets_buffer)


def _csv_records(text: str) -> Iterable[tuple[int, Mapping[str, Any] | None, bool]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise StockSyncError("the CSV is empty")
    names = [name.strip().lower() for name in header]
    if "sku" not in names or "on_hand" not in names:
        raise StockSyncError("the CSV header must name the columns sku and on_hand")
    has_buffer = "safety_buffer" in names
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines (a trailing newline from a till export)
        if len(cells) != len(names):
            yield reader.line_num, None, has_buffer
            continue
        yield reader.line_num, dict(zip(names, cells)), has_buffer


def _json_records(rows: Any) -> Iterable[tuple[int, Mapping[str, Any] | None, bool]]:
    if isinstance(rows, Mapping):
        rows = rows.get("rows")
    if not isinstance(rows, list):
        raise StockSyncError('JSON stock must be a list of rows or {"rows": [...]}')
    for position, row in enumerate(rows, start=1):
        yield position, row if isinstance(row, Mapping) else None, False


def parse_stock_payload(payload: str | bytes | Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> tuple[list[_Row], list[RowProblem]]:
    """Reads CSV text, JSON text or already-decoded JSON rows into rows and per-line problems.

    Raises:
        StockSyncError: the payload as a whole is unreadable (no header, not JSON rows, too many rows).
    """
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            raise StockSyncError("the stock file must be UTF-8 text") from error
    if isinstance(payload, str):
        stripped = payload.lstrip("\ufeff \t\r\n")
        if stripped.startswith(("[", "{")):
            try:
                records = _json_records(load_json_body(stripped))
            except json.JSONDecodeError as error:
                raise StockSyncError(f"the JSON is not valid: {error.msg} (line {error.lineno})") from error
            except ValueError as error:  # nested too deeply, or a lone surrogate / NUL in a string
                raise StockSyncError(f"the JSON is not usable: {error}") from error
        else:
            records = _csv_records(payload)
    else:
        records = _json_records(payload)

    rows: list[_Row] = []
    problems: list[RowProblem] = []
    first_line: dict[str, int] = {}
    try:
        for line, record, has_buffer in records:
            _take(line, record, has_buffer, rows, problems, first_line)
    except csv.Error as error:  # a NUL or a bare newline inside a field: unreadable, so a 400, never a 500
        raise StockSyncError(f"the CSV is not valid: {error}") from error
    return rows, problems


def _take(
    line: int, record: Mapping[str, Any] | None, has_buffer: bool, rows: list[_Row], problems: list[RowProblem], first_line: dict[str, int]
) -> None:
    """Adds one record to the rows, or its problem to the problems."""
    if len(rows) + len(problems) >= MAX_ROWS:
        raise StockSyncError(f"at most {MAX_ROWS} rows per call; split the export")
    if record is None:
        problems.append(RowProblem(line, "", "the row does not match the columns of the header"))
        return
    row = _read_row(line, record, has_buffer)
    if isinstance(row, RowProblem):
        problems.append(row)
    elif row.sku in first_line:
        problems.append(RowProblem(line, row.sku, f"{row.sku} already appears on line {first_line[row.sku]}"))
    else:
        first_line[row.sku] = line
        rows.append(row)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _known_skus(uow: UnitOfWork, skus: Sequence[str]) -> set[str]:
    known: set[str] = set()
    for chunk in _chunks(skus):
        known.update(uow.session.scalars(select(Variant.sku).where(Variant.sku.in_(chunk))))
    return known


def _current_rows(uow: UnitOfWork, store_id: str, skus: Sequence[str]) -> dict[str, tuple[int, int, int | None]]:
    """(on_hand, reserved, safety_buffer) by SKU, row-locked on PostgreSQL so reservations wait for us."""
    lock = uow.session.get_bind().dialect.name == "postgresql"
    current: dict[str, tuple[int, int, int | None]] = {}
    for chunk in _chunks(sorted(skus)):  # one lock order (by SKU) everywhere: no deadlocks
        query = (
            select(_inventory.c.sku, _inventory.c.on_hand, _inventory.c.reserved, _inventory.c.safety_buffer)
            .where(_inventory.c.store_id == store_id, _inventory.c.sku.in_(chunk))
            .order_by(_inventory.c.sku)
        )
        if lock:
            query = query.with_for_update()
        for sku, on_hand, reserved, buffer in uow.session.execute(query):
            current[sku] = (int(on_hand), int(reserved), buffer)
    return current


def _update_statement(sets_buffer: bool):  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {"on_hand": bindparam("b_on_hand"), "updated_at": bindparam("b_now")}
    if sets_buffer:
        values["safety_buffer"] = bindparam("b_buffer")
    return (
        _inventory.update()
        .where(
            and_(
                _inventory.c.store_id == bindparam("b_store"),
                _inventory.c.sku == bindparam("b_sku"),
                _inventory.c.reserved <= bindparam("b_on_hand"),
            )
        )
        .values(**values)
    )


def sync_stock(
    uow: UnitOfWork,
    store_id: str,
    payload: str | bytes | Sequence[Mapping[str, Any]] | Mapping[str, Any],
    actor: str,
    now: datetime | None = None,
) -> StockSyncReport:
    """Applies a till/POS stock export to one store and commits (see the module docstring for the rules).

    Args:
        uow: unit of work.
        store_id: the store the export is for (the caller has checked the caller may write it).
        payload: CSV text, JSON text, or decoded JSON rows.
        actor: who sent it, for the audit log (e.g. "store_api:sk1a2b3c4d5e").
        now: the clock.

    Returns:
        Counts of created, updated and unchanged rows, and every rejected row with its line number.

    Raises:
        StockSyncError: unknown store, or the payload as a whole is unreadable (nothing applied).
    """
    now = now or clock.now()
    if uow.session.get(Store, store_id) is None:
        raise StockSyncError(f"no store {store_id!r}")
    rows, problems = parse_stock_payload(payload)
    received = len(rows) + len(problems)
    skus = [row.sku for row in rows]
    known = _known_skus(uow, skus)
    current = _current_rows(uow, store_id, [sku for sku in skus if sku in known])

    inserts: list[dict[str, Any]] = []
    updates: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    changes: list[list[Any]] = []
    unchanged = 0
    for row in rows:
        if row.sku not in known:
            problems.append(RowProblem(row.line, row.sku, f"unknown SKU {row.sku}"))
            continue
        if row.sku not in current:
            inserts.append(
                {"store_id": store_id, "sku": row.sku, "on_hand": row.on_hand, "reserved": 0,
                 "safety_buffer": row.safety_buffer, "updated_at": now}
            )
            changes.append([row.sku, None, row.on_hand])
            continue
        on_hand, reserved, buffer = current[row.sku]
        if row.on_hand < reserved:
            problems.append(
                RowProblem(row.line, row.sku, f"on_hand {row.on_hand} is below the {reserved} reserved for open orders; row not applied")
            )
            continue
        if on_hand == row.on_hand and (not row.sets_buffer or buffer == row.safety_buffer):
            unchanged += 1
            continue
        updates[row.sets_buffer].append(
            {"b_store": store_id, "b_sku": row.sku, "b_on_hand": row.on_hand, "b_buffer": row.safety_buffer, "b_now": now}
        )
        changes.append([row.sku, on_hand, row.on_hand])

    connection = uow.session.connection()
    if inserts:
        connection.execute(_inventory.insert(), inserts)
    for sets_buffer, params in updates.items():
        if params:
            written = connection.execute(_update_statement(sets_buffer), params).rowcount
            if written not in (-1, len(params)):  # rows are locked or the writer is serialised: cannot happen
                uow.rollback()
                raise StockSyncError("stock changed while the export was being applied; send it again")

    problems.sort(key=lambda problem: problem.line)
    report = StockSyncReport(
        store_id=store_id,
        received=received,
        created=len(inserts),
        updated=len(updates[True]) + len(updates[False]),
        unchanged=unchanged,
        problems=tuple(problems),
    )
    audit.record(
        uow,
        actor=actor,
        action="stock_synced",
        now=now,
        store_id=store_id,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=[problem.as_dict() for problem in report.problems],
        changes=changes,  # [sku, on_hand before (null = new row), on_hand after]
    )
    uow.commit()
    return report
