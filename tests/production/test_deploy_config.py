"""The production example is one consistent switch: the env example fills every ${VAR} Rasa reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.utils.endpoints import read_endpoint_config

from deploy.run_replicas import PRODUCTION_ENDPOINTS, missing_settings

pytestmark = pytest.mark.production

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "production.env.example"


def example_env() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in EXAMPLE.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def test_the_example_sets_every_variable_the_replicas_need() -> None:
    assert missing_settings(example_env()) == []


def test_rasa_reads_the_production_endpoints_with_the_example_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in example_env().items():
        monkeypatch.setenv(name, value)
    tracker = read_endpoint_config(str(PRODUCTION_ENDPOINTS), "tracker_store")
    lock = read_endpoint_config(str(PRODUCTION_ENDPOINTS), "lock_store")
    broker = read_endpoint_config(str(PRODUCTION_ENDPOINTS), "event_broker")
    action = read_endpoint_config(str(PRODUCTION_ENDPOINTS), "action_endpoint")
    assert (tracker.type, tracker.kwargs["dialect"], tracker.kwargs["db"]) == ("SQL", "postgresql", "rasa_tracker")
    assert (lock.type, lock.url) == ("bot.adapters.rasa_lock_store.AtomicRedisLockStore", "redis://127.0.0.1:6379/1")
    assert (broker.type, broker.kwargs["queues"]) == ("pika", ["rasa_events"])
    assert action.url == "http://127.0.0.1:8081/webhook"
    assert action.headers == {"Authorization": f"Bearer {example_env()['ACTION_ENDPOINT_TOKEN']}"}


UNIT = EXAMPLE.parent / "fellside-shop.service"


def test_the_systemd_unit_verifies_and_starts_supervisord_with_the_production_env(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the unit with its paths moved to this checkout (it checks that the
    commands exist); an unknown key or a bad value is only a warning there, so any output fails too."""
    import getpass
    import shutil
    import subprocess

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    root = str(EXAMPLE.parents[1])
    unit = UNIT.read_text().replace("/opt/fellside-shop", root).replace("User=fellside", f"User={getpass.getuser()}")
    settings = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    assert settings["ExecStart"] == f"{root}/.venv/bin/supervisord -c {root}/deploy/supervisord.conf"
    assert (settings["EnvironmentFile"], settings["Restart"], settings["KillMode"]) == (f"{root}/deploy/production.env", "always", "mixed")
    checked = tmp_path / UNIT.name
    checked.write_text(unit)
    verified = subprocess.run([analyze, "verify", str(checked)], capture_output=True, text=True, timeout=120)
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")
