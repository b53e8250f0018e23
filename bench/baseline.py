"""The baseline: the stock `rasa init` assistant, generated and trained once into a cache directory.

Nothing of it is kept in the repository. `ensure_baseline()` runs `rasa init --no-prompt` (which
writes the moodbot project and trains it) the first time, then reuses the trained model; it also
switches on the project's action endpoint so the baseline runs with its action server like ours.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scripts.shop_env import PROJECT_ROOT, cache_dir

RASA = PROJECT_ROOT / ".venv" / "bin" / "rasa"
ACTION_ENDPOINT_TEMPLATE = 'action_endpoint:\n  url: "http://127.0.0.1:{port}/webhook"\n'


@dataclass(frozen=True)
class BaselineProject:
    directory: Path
    model: Path

    def endpoints_file(self, action_port: int) -> Path:
        """An endpoints file pointing Rasa at the baseline action server on `action_port`."""
        path = self.directory / f"endpoints-bench-{action_port}.yml"
        path.write_text(ACTION_ENDPOINT_TEMPLATE.format(port=action_port))
        return path


def baseline_dir() -> Path:
    return cache_dir() / "bench-baseline"


def _trained_model(directory: Path) -> Path | None:
    models = sorted((directory / "models").glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    return models[-1] if models else None


def ensure_baseline(env: dict[str, str], log_file: Path | None = None) -> BaselineProject:
    """Returns the cached baseline project, creating and training it first when missing.

    Raises:
        RuntimeError: `rasa init` failed or left no model behind.
    """
    directory = baseline_dir()
    model = _trained_model(directory)
    if model is not None:
        return BaselineProject(directory, model)
    directory.mkdir(parents=True, exist_ok=True)
    if log_file:
        log_file.parent.mkdir(parents=True, exist_ok=True)  # bench/out/logs does not exist on a fresh clone
    output = open(log_file, "ab") if log_file else subprocess.DEVNULL
    try:
        # nice: the machine's two cores are shared; training must not starve other work.
        result = subprocess.run(
            ["nice", "-n", "10", str(RASA), "init", "--no-prompt", "--init-dir", str(directory)],
            cwd=directory,
            env={**env, "RASA_TELEMETRY_ENABLED": "false"},
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=1800,
        )
    finally:
        if log_file:
            output.close()  # type: ignore[union-attr]
    model = _trained_model(directory)
    if result.returncode != 0 or model is None:
        raise RuntimeError(f"rasa init failed (exit {result.returncode}); see {log_file or 'its output'}")
    return BaselineProject(directory, model)


if __name__ == "__main__":  # prepares the cache ahead of a run: python -m bench.baseline
    project = ensure_baseline(dict(os.environ))
    print(project.model)
