"""`make run`: migrate, seed, train if needed, start both servers, print where to chat.

Ctrl-C (SIGINT) and `kill` (SIGTERM, what systemd, Docker or a CI runner sends) both stop the Rasa
server and the bot server before the supervisor exits, so neither is left holding its port.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Callable

from scripts import train_if_needed
from scripts.shop_env import PROJECT_ROOT, model_path, shop_environment
from scripts.stack import RunningStack, StackConfig, start_stack, wait_until_ready

PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")


class Terminated(Exception):
    """SIGTERM arrived: unwind like Ctrl-C, so `finally` blocks stop the servers."""


def stop_on_sigterm() -> None:
    """Makes SIGTERM raise Terminated in the main thread (by default it kills only this process)."""

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    signal.signal(signal.SIGTERM, terminate)


def step(title: str) -> None:
    print(f"==> {title}", flush=True)


def supervise(start: Callable[[], RunningStack], until_ready: Callable[[RunningStack], None]) -> int:
    """Starts the stack and runs until a server dies, Ctrl-C or SIGTERM; stops both servers in every case."""
    stack: RunningStack | None = None
    try:
        stack = start()
        until_ready(stack)
        while all(process.poll() is None for process in stack.processes.values()):
            time.sleep(0.5)
        dead = [name for name, process in stack.processes.items() if process.poll() is not None]
        print(f"{', '.join(dead)} stopped unexpectedly; stopping the rest", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Terminated):
        print("\nstopping…", flush=True)
        return 0
    finally:
        if stack is not None:
            stack.stop()


def main() -> int:
    stop_on_sigterm()
    env = shop_environment()
    try:
        step("database: migrate and seed the demo catalogue")
        for command in (["migrate"], ["seed"]):
            subprocess.run([PYTHON, "-m", "bot.cli", *command], cwd=PROJECT_ROOT, env=env, check=True)
        step("model")
        if train_if_needed.main() != 0:
            return 1
        step("starting the Rasa server and the bot server")
    except (KeyboardInterrupt, Terminated):
        return 0

    def until_ready(stack: RunningStack) -> None:
        wait_until_ready(stack, progress=True)
        print(f"\nReady. Chat at {stack.bot_url}/chat  (Rasa API on {stack.rasa_url}; Ctrl-C stops both)\n", flush=True)

    return supervise(lambda: start_stack(StackConfig(model=model_path(), env=env)), until_ready)


if __name__ == "__main__":
    sys.exit(main())
