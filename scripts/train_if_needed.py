"""Trains the Rasa model only when config, domain or training data changed (cached by their hash).

`python -m scripts.train_if_needed --path` prints only the model's path on stdout (progress goes to
stderr), for `SHOP_MODEL="$(… --path)"` in the production example (deploy/supervisord.conf).
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Sequence, TextIO

from scripts.shop_env import PROJECT_ROOT, RASA_INPUTS, model_path, shop_environment


def training_data_paths() -> list[str]:
    return [name for name in RASA_INPUTS if name.startswith("data/") and (PROJECT_ROOT / name).exists()]


def main(argv: Sequence[str] = ()) -> int:
    path_only = "--path" in argv
    status = _train(sys.stderr if path_only else sys.stdout)
    if status == 0 and path_only:
        print(model_path())
    return status


def _train(progress: TextIO) -> int:
    target = model_path()
    if target.exists():
        print(f"model is up to date: {target}", file=progress)
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"training the Rasa model (about 2 minutes on 2 cores) -> {target}", flush=True, file=progress)
    started = time.monotonic()
    command = [
        str(PROJECT_ROOT / ".venv" / "bin" / "rasa"), "train",
        "--config", "config.yml", "--domain", "domain.yml",
        "--data", *training_data_paths(),
        "--out", str(target.parent), "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=shop_environment(), stdout=progress)
    if result.returncode != 0 or not target.exists():
        print("training failed", file=sys.stderr)
        return result.returncode or 1
    print(f"trained in {time.monotonic() - started:.0f} s", flush=True, file=progress)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
