"""Rasa's own check run inside the suite: the training data validates (the dialogue is tested by the scenarios)."""

from __future__ import annotations

import re
import subprocess

from scripts.shop_env import PROJECT_ROOT, shop_environment
from scripts.train_if_needed import training_data_paths

RASA = str(PROJECT_ROOT / ".venv" / "bin" / "rasa")


def run_rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [RASA, *args], cwd=PROJECT_ROOT, env=shop_environment(), capture_output=True, text=True, timeout=timeout
    )


# Warnings Rasa's validator gives for things that are right by design.
EXPECTED_WARNINGS = (
    # Alerts pushed in with trigger_intent are never typed by shoppers, so they have no NLU examples.
    re.compile(r"The intent 'EXTERNAL_\w+' is listed in the domain file, but is not found in the NLU training data"),
    # Retrieval intents: rules need `faq` in the domain, and the responses file declares it again.
    re.compile(r"duplicated intents have been found across multiple domain files: faq$"),
    # Support answers are said by the conversation engine (it fills the settings in), not by a rule.
    re.compile(r"The utterance 'utter_faq' is not used in any story or rule"),
)


def test_training_data_validates_with_no_unexpected_warning() -> None:
    result = run_rasa("data", "validate", "--domain", "domain.yml", "--config", "config.yml", "--data", *training_data_paths())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    warnings = [line.strip() for line in re.findall(r"UserWarning: (.+)", output)]
    unexpected = [w for w in warnings if not any(pattern.search(w) for pattern in EXPECTED_WARNINGS)]
    assert not unexpected, "\n".join(unexpected)
