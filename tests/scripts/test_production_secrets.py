"""Production mode (SHOP_PRODUCTION=1) never falls back to the per-user development secrets: a blank
secret stops every program that would have used one, and says which."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.kernel.config import PRODUCTION_SECRETS
from scripts.shop_env import PROJECT_ROOT, shop_environment


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Production mode with every secret set; returns where the dev secrets file would be."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("SHOP_PRODUCTION", "1")
    for name in PRODUCTION_SECRETS:
        monkeypatch.setenv(name, f"set-{name.lower()}")
    return tmp_path / "fellside-shop" / "dev-secrets.env"


def test_all_secrets_set_are_used_as_given_and_the_dev_file_is_never_touched(production: Path) -> None:
    env = shop_environment()
    assert {name: env[name] for name in PRODUCTION_SECRETS} == {name: f"set-{name.lower()}" for name in PRODUCTION_SECRETS}
    assert not production.exists()


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_secret_stops_the_program_and_names_it(
    production: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], blank: str
) -> None:
    monkeypatch.setenv("SHOP_SESSION_SECRET", blank)
    monkeypatch.delenv("ACTION_ENDPOINT_TOKEN")
    with pytest.raises(SystemExit) as stopped:
        shop_environment()
    message = capsys.readouterr().err
    assert stopped.value.code == 2 and "SHOP_SESSION_SECRET, ACTION_ENDPOINT_TOKEN are blank" in message and "SHOP_PRODUCTION=1" in message
    assert not production.exists()


def test_outside_production_a_blank_secret_is_generated_into_the_dev_file(production: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOP_PRODUCTION")
    monkeypatch.setenv("SHOP_SESSION_SECRET", "")
    env = shop_environment()
    assert len(env["SHOP_SESSION_SECRET"]) >= 32 and production.exists()


@pytest.mark.parametrize(
    ("module", "process"), [("bot.server", "the bot server"), ("scripts.rasa_run", "Rasa")]
)
def test_the_servers_refuse_to_start_with_a_blank_secret(module: str, process: str, tmp_path: Path) -> None:
    # What supervisord or Kubernetes starts: the process itself, with the environment as given.
    env = {key: value for key, value in os.environ.items() if key not in PRODUCTION_SECRETS}
    env.update({name: "set" for name in PRODUCTION_SECRETS}, SHOP_PRODUCTION="1", WEBCHAT_SECRET="", XDG_CONFIG_HOME=str(tmp_path))
    env.update(SHOP_DATABASE_URL=f"sqlite:///{tmp_path / 'shop.db'}", SHOP_PORT="1", PYTHONPATH=str(PROJECT_ROOT))
    result = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"error: {process} refuses to start: SHOP_PRODUCTION=1 but WEBCHAT_SECRET is blank" in result.stderr
    assert not (tmp_path / "fellside-shop").exists()
