"""Passwords for the command-line tools come from a file, a hidden prompt (typed twice) or a pipe."""

from __future__ import annotations

import io

import pytest

from bot.cli import secret_input as cli_secrets


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_password_file_gives_its_first_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "password"
    secret.write_text("correct horse battery\r\nignored\n")
    assert cli_secrets.read_password(str(secret), io.StringIO("not read\n")) == "correct horse battery"


def test_a_pipe_gives_its_first_line() -> None:
    assert cli_secrets.read_password(None, io.StringIO("from a pipe\nmore\n")) == "from a pipe"


def test_a_terminal_prompts_twice_without_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    typed = iter(["s3cret-enough", "s3cret-enough", "first try", "second try"])
    monkeypatch.setattr(cli_secrets.getpass, "getpass", lambda prompt: next(typed))
    assert cli_secrets.read_password(None, Terminal()) == "s3cret-enough"
    with pytest.raises(cli_secrets.PasswordsDiffer):
        cli_secrets.read_password(None, Terminal())
