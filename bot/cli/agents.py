"""Agent accounts from the command line: `python -m bot.cli.agents create-agent USERNAME --display-name "Sam"`.

The password never appears in argv (visible to other users in `ps`): it is read from a file
(--password-file) or from standard input (typed at a prompt when stdin is a terminal).
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, TextIO

from bot.cli.secret_input import PasswordsDiffer, read_password
from bot.handoff.agents import AgentError, create_agent, set_password
from bot.kernel.shop import Shop


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.cli.agents", description="Agent console accounts")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-agent", help="create an agent account for the console")
    create.add_argument("username")
    create.add_argument("--display-name", required=True, help="the name shoppers and colleagues see")
    create.add_argument("--password-file", help="read the password from this file (else from stdin)")
    reset = commands.add_parser("set-agent-password", help="replace an agent's password")
    reset.add_argument("username")
    reset.add_argument("--password-file", help="read the password from this file (else from stdin)")
    return parser


def main(
    argv: list[str] | None = None,
    *,
    shop_factory: Callable[[], Shop] = Shop,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Runs one command; returns the process exit code (0 ok, 1 refused, 2 usage error)."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        password = read_password(args.password_file, stdin)
    except (OSError, PasswordsDiffer) as error:
        print(f"error: {error}", file=stderr)
        return 1
    shop = shop_factory()
    try:
        if args.command == "create-agent":
            agent = shop.run(create_agent, args.username, args.display_name, password)
            print(f"created agent {agent.username} ({agent.display_name}), id {agent.id}", file=stdout)
        else:
            shop.run(set_password, args.username, password)
            print(f"password changed for {args.username.strip().lower()}", file=stdout)
    except AgentError as error:
        print(f"error: {error}", file=stderr)
        return 1
    finally:
        shop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
