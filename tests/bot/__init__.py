"""Tests of the commerce core (`bot/`)."""

from __future__ import annotations

from bot.kernel.config import PROJECT_ROOT

CATALOG_DIR = PROJECT_ROOT / "data" / "catalog"
