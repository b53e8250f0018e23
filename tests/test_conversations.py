"""Rasa's own checks run inside the suite: training data validation and the conversation tests."""

from __future__ import annotations

import subprocess

import pytest

from scripts.shop_env import PROJECT_ROOT, shop_environment
from scripts.train_if_needed import training_data_paths
from tests.support.stack import ensure_model

RASA = str(PROJECT_ROOT / ".venv" / "bin" / "rasa")


def run_rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [RASA, *args], cwd=PROJECT_ROOT, env=shop_environment(), capture_output=True, text=True, timeout=timeout
    )


def test_training_data_validates_without_warnings() -> None:
    result = run_rasa(
        "data", "validate", "--fail-on-warnings", "--domain", "domain.yml", "--config", "config.yml",
        "--data", *training_data_paths(),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.mark.e2e
def test_conversation_stories_all_pass(tmp_path) -> None:
    model = ensure_model()
    result = run_rasa(
        "test", "core", "--model", str(model), "--stories", "tests/test_stories.yml",
        "--fail-on-prediction-errors", "--out", str(tmp_path / "results"),
    )
    failed = (tmp_path / "results" / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details[-6000:] + result.stdout[-3000:] + result.stderr[-3000:]
