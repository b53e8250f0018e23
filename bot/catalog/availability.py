"""The stock rule, in one place: available to promise = on hand − reserved − safety buffer.

The buffer is the SKU's own when it has one, else its store's, so in-store sales do not empty stock
promised online. The rule is written twice here, side by side, and nowhere else: in Python for rows
already read, and as SQL for the statements that filter, rank or lock on it (a reservation's
conditional UPDATE must test the same number a shopper was told).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

from bot.kernel.models import Inventory


def available_to_promise(on_hand: int, reserved: int, safety_buffer: int) -> int:
    """Units a shopper can be told about or reserve; never negative."""
    return max(0, on_hand - reserved - safety_buffer)


def buffer_that_applies(sku_buffer: int | None, store_buffer: int) -> int:
    """The SKU's own buffer when it has one, else the store's."""
    return store_buffer if sku_buffer is None else sku_buffer


def buffer_expression(store_buffer: ColumnElement | int, inventory: Any = Inventory) -> ColumnElement:
    """SQL for the buffer that applies: the SKU's own, else the store's."""
    return func.coalesce(inventory.safety_buffer, store_buffer)


def available_expression(store_buffer: ColumnElement | int, inventory: Any = Inventory) -> ColumnElement:
    """SQL for the units available to promise (may be negative: compare it, as `> 0` or `>= quantity`).

    `inventory` is the mapped class, or the table's columns (`Inventory.__table__.c`) for a Core statement.
    """
    return inventory.on_hand - inventory.reserved - buffer_expression(store_buffer, inventory)
