"""Agent accounts: argon2 hashes, authentication, presence and the create-agent command."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.cli import agents as cli_agents
from bot.kernel.models import Agent
from bot.handoff.agents import AgentError, agents_online, authenticate_agent, create_agent, set_password, touch_agent
from bot.kernel.shop import Shop

PASSWORD = "correct horse battery"


def test_created_agent_has_an_argon2id_hash_not_the_password(shop: Shop) -> None:
    agent = shop.run(create_agent, "  Sam.Taylor ", "Sam Taylor", PASSWORD)
    assert (agent.username, agent.display_name) == ("sam.taylor", "Sam Taylor")
    with shop.uow() as uow:
        stored = uow.session.scalars(select(Agent.password_hash)).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_authentication_accepts_only_the_right_password(shop: Shop) -> None:
    created = shop.run(create_agent, "sam", "Sam", PASSWORD)
    assert shop.run(authenticate_agent, "SAM", PASSWORD) == created
    assert shop.run(authenticate_agent, "sam", PASSWORD + "!") is None
    assert shop.run(authenticate_agent, "nobody", PASSWORD) is None
    shop.run(set_password, "sam", "a brand new passphrase")
    assert shop.run(authenticate_agent, "sam", PASSWORD) is None
    assert shop.run(authenticate_agent, "sam", "a brand new passphrase") is not None


@pytest.mark.parametrize(
    ("username", "display_name", "password", "problem"),
    [
        ("s", "Sam", PASSWORD, "username"),
        ("sam taylor", "Sam", PASSWORD, "username"),
        ("sam", "", PASSWORD, "display name"),
        ("sam", "Sam", "short", "at least 10"),
    ],
)
def test_bad_accounts_are_refused_with_a_reason(shop: Shop, username: str, display_name: str, password: str, problem: str) -> None:
    with pytest.raises(AgentError, match=problem):
        shop.run(create_agent, username, display_name, password)


def test_usernames_are_unique(shop: Shop) -> None:
    shop.run(create_agent, "sam", "Sam", PASSWORD)
    with pytest.raises(AgentError, match="already taken"):
        shop.run(create_agent, "SAM", "Another Sam", PASSWORD)


def test_presence_is_written_at_most_every_30_seconds(shop: Shop) -> None:
    agent = shop.run(create_agent, "sam", "Sam", PASSWORD)
    start = datetime(2024, 6, 12, 10, 0, tzinfo=timezone.utc)
    shop.run(touch_agent, agent.id, now=start)
    shop.run(touch_agent, agent.id, now=start + timedelta(seconds=10))
    with shop.uow() as uow:
        seen = uow.session.get(Agent, agent.id).last_seen_at
    assert seen.replace(tzinfo=timezone.utc) == start
    assert shop.run(agents_online, timedelta(minutes=5), now=start + timedelta(minutes=4)) == 1
    assert shop.run(agents_online, timedelta(minutes=5), now=start + timedelta(minutes=6)) == 0


def test_cli_creates_an_agent_from_a_password_file(shop: Shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    out, err = io.StringIO(), io.StringIO()
    code = cli_agents.main(
        ["create-agent", "kim", "--display-name", "Kim Lee", "--password-file", str(secret)],
        shop_factory=lambda: Shop(shop.settings),
        stdout=out,
        stderr=err,
    )
    assert code == 0, err.getvalue()
    assert out.getvalue().startswith("created agent kim (Kim Lee)")
    assert PASSWORD not in out.getvalue() + err.getvalue()
    assert shop.run(authenticate_agent, "kim", PASSWORD) is not None


def test_cli_reads_the_password_from_stdin_and_reports_refusals(shop: Shop) -> None:
    def run(argv: list[str], typed: str) -> tuple[int, str]:
        err = io.StringIO()
        code = cli_agents.main(
            argv, shop_factory=lambda: Shop(shop.settings), stdin=io.StringIO(typed), stdout=io.StringIO(), stderr=err
        )
        return code, err.getvalue()

    assert run(["create-agent", "lee", "--display-name", "Lee"], PASSWORD + "\n") == (0, "")
    code, error = run(["create-agent", "lee", "--display-name", "Lee again"], PASSWORD + "\n")
    assert code == 1 and "already taken" in error
    code, error = run(["create-agent", "max", "--display-name", "Max"], "short\n")
    assert code == 1 and "at least 10" in error
