"""Reading a password for a command-line tool so that it never appears in argv (visible in `ps`) or on screen."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TextIO


class PasswordsDiffer(ValueError):
    """The password typed twice at the prompt was not the same both times."""


def read_password(password_file: str | None, stdin: TextIO) -> str:
    """The first line of `password_file`; else typed twice at a hidden prompt; else the first line of stdin (a pipe).

    Raises:
        OSError: the file cannot be read.
        PasswordsDiffer: the two typed passwords differ.
    """
    if password_file:
        return _first_line(Path(password_file).read_text(encoding="utf-8"))
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != first:
            raise PasswordsDiffer("the passwords differ")
        return first
    return _first_line(stdin.readline())


def _first_line(text: str) -> str:
    lines = text.splitlines()
    return lines[0] if lines else ""
