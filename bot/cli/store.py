"""Store credentials from the command line: `python -m bot.cli.store <command>` (wired into bot.cli too).

  create-store-key STORE [--label L]    print a new API key for STORE (shown once; only its hash is kept)
  revoke-store-key PREFIX               revoke the key whose prefix (the part before the dot) is PREFIX
  set-dashboard-password STORE          read a password from --password-file, a hidden prompt, or piped stdin
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, TextIO

from bot.cli.secret_input import PasswordsDiffer, read_password
from bot.catalog.stock_query import UnknownStore
from bot.identity.store_access import StoreAccessError, create_api_key, revoke_api_key, set_dashboard_password
from bot.kernel.shop import Shop

ShopFactory = Callable[[], Shop]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.cli", description="Store API keys and dashboard passwords")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-store-key", help="create an API key for a store (printed once)")
    create.add_argument("store")
    create.add_argument("--label", default="", help="what the key is for, e.g. 'till export'")
    revoke = commands.add_parser("revoke-store-key", help="revoke an API key by its prefix")
    revoke.add_argument("prefix")
    password = commands.add_parser("set-dashboard-password", help="set a store's dashboard password")
    password.add_argument("store")
    password.add_argument("--password-file", help="read the password from this file's first line instead of stdin")
    return parser


def main(
    argv: list[str] | None = None,
    *,
    shop_factory: ShopFactory = Shop,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Runs one command; returns the exit status (0 ok, 1 refused, 2 usage error)."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    shop = shop_factory()
    try:
        if args.command == "create-store-key":
            prefix, key = shop.run(create_api_key, args.store, args.label)
            print(f"API key for store {args.store} (prefix {prefix}); store it now, it is not shown again:", file=stdout)
            print(key, file=stdout)
            return 0
        if args.command == "revoke-store-key":
            if shop.run(revoke_api_key, args.prefix):
                print(f"revoked key {args.prefix}", file=stdout)
                return 0
            print(f"no live key with prefix {args.prefix!r}", file=stderr)
            return 1
        password = read_password(args.password_file, stdin)
        shop.run(set_dashboard_password, args.store, password)
        print(f"dashboard password set for store {args.store}; earlier sessions are signed out", file=stdout)
        return 0
    except (StoreAccessError, UnknownStore, OSError, PasswordsDiffer) as error:
        print(f"error: {error}", file=stderr)
        return 1
    finally:
        shop.close()


if __name__ == "__main__":
    sys.exit(main())
