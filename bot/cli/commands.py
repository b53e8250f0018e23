"""Command line for operators: `python -m bot.cli <command>` (bot/cli/__main__.py runs `main`).

  migrate                   bring the database schema up to date (Alembic)
  seed                      load the catalogue CSVs from data/catalog (idempotent)
  create-store-key STORE    a store API key (shown once, stored hashed); revoke-store-key PREFIX
  set-dashboard-password    a store's dashboard login
  create-agent USERNAME     a support agent account for the console; set-agent-password USERNAME
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from bot.kernel.config import PROJECT_ROOT, load_settings
from bot.kernel.shop import Shop


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "bot" / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


def _cmd_migrate(_: argparse.Namespace) -> int:
    settings = load_settings()
    migrate(settings.database_url)
    print("database schema is up to date")
    return 0


def _cmd_seed(args: argparse.Namespace) -> int:
    from bot.catalog.seed import load_catalog

    shop = Shop()
    report = shop.run(load_catalog, Path(args.catalog_dir or shop.settings.catalog_dir))
    print(report)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.cli", description="Fellside shop assistant operations")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database schema").set_defaults(handler=_cmd_migrate)
    seed = commands.add_parser("seed", help="load the demo catalogue (idempotent)")
    seed.add_argument("--catalog-dir", help="folder with stores.csv, products.csv, ... (default data/catalog)")
    seed.set_defaults(handler=_cmd_seed)
    return parser


# Commands owned by their own modules, which parse their own arguments.
DELEGATED = {
    "create-store-key": "bot.cli.store",
    "revoke-store-key": "bot.cli.store",
    "set-dashboard-password": "bot.cli.store",
    "create-agent": "bot.cli.agents",
    "set-agent-password": "bot.cli.agents",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in DELEGATED:
        import importlib

        return int(importlib.import_module(DELEGATED[argv[0]]).main(argv))
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

