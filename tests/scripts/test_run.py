"""`make run`'s supervisor stops both servers on Ctrl-C and on SIGTERM (what systemd, Docker or CI send)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts.shop_env import PROJECT_ROOT

# The supervisor with two stand-in servers (long sleeps), so the test needs no model or ports.
SUPERVISOR = """
import subprocess, sys
from pathlib import Path
from scripts.run import stop_on_sigterm, supervise
from scripts.stack import RunningStack, StackConfig

def start():
    stack = RunningStack(StackConfig(model=Path("unused"), env={}))
    for name in ("rasa", "bot-server"):
        stack.processes[name] = subprocess.Popen(["sleep", "600"])
    print(" ".join(str(p.pid) for p in stack.processes.values()), flush=True)
    return stack

stop_on_sigterm()
sys.exit(supervise(start, lambda stack: print("Ready", flush=True)))
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited but is not reaped yet (its parent is gone or busy): it holds no port.
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_both_servers(stop_signal: int) -> None:
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert supervisor.stdout is not None
    children = [int(pid) for pid in supervisor.stdout.readline().split()]
    assert supervisor.stdout.readline().strip() == "Ready" and all(_alive(pid) for pid in children)
    stopped = time.monotonic()
    supervisor.send_signal(stop_signal)
    assert supervisor.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in children)
    assert time.monotonic() - stopped < 10  # stopped by the signal, not killed after stop()'s 15 s grace
