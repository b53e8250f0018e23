"""`make run`: migrate, seed, train if needed, start both servers, print where to chat; Ctrl-C stops both."""

from __future__ import annotations

import subprocess
import sys
import time

from scripts import train_if_needed
from scripts.shop_env import PROJECT_ROOT, model_path, shop_environment
from scripts.stack import StackConfig, start_stack, wait_until_ready

PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")


def step(title: str) -> None:
    print(f"==> {title}", flush=True)


def main() -> int:
    env = shop_environment()
    step("database: migrate and seed the demo catalogue")
    for command in (["migrate"], ["seed"]):
        subprocess.run([PYTHON, "-m", "bot.cli", *command], cwd=PROJECT_ROOT, env=env, check=True)
    step("model")
    if train_if_needed.main() != 0:
        return 1
    step("starting the Rasa server and the bot server")
    stack = start_stack(StackConfig(model=model_path(), env=env))
    try:
        wait_until_ready(stack, progress=True)
        print(f"\nReady. Chat at {stack.bot_url}/chat  (Rasa API on {stack.rasa_url}; Ctrl-C stops both)\n", flush=True)
        while all(process.poll() is None for process in stack.processes.values()):
            time.sleep(0.5)
        dead = [name for name, process in stack.processes.items() if process.poll() is not None]
        print(f"{', '.join(dead)} stopped unexpectedly; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
