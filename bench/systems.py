"""The two systems under test, started as real processes on loopback and always stopped again.

- baseline: the stock `rasa init` assistant: `rasa run --enable-api` (REST channel) + `rasa run actions`.
- ours: this project's stack as `make run` starts it (scripts/stack.py): Rasa with our connectors and
  the bot server (action endpoint, web chat API), on a scratch SQLite database migrated and seeded.
"""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bench.baseline import BaselineProject
from scripts.shop_env import PROJECT_ROOT
from scripts.stack import RunningStack, StackConfig, free_port, start_stack

VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
STOP_TIMEOUT_SECONDS = 15.0

# What each system is sent. Ours gets a mix that reaches the action server and the database
# (stock checks, store hours, nearest store); the moodbot only knows greetings and moods.
BASELINE_MESSAGES = ("hello", "I am feeling great", "I am sad", "yes", "goodbye", "are you a bot?")
OUR_MESSAGES = (
    "hi",
    "do you have the trailblazer boots in brown size 9 at arndale?",
    "when does stockport close on sunday",
    "is the kinder fleece in stock at didsbury?",
    "where's the trafford store",
    "nearest store to chorlton",
)
# The concurrency scenarios' shopper mix (issue 15): each entry is one conversation, each turn named by kind.
# Full stock questions (product, colour, size, store) are half of all turns; one conversation in six reserves,
# checks out and chooses to pay at pickup. Reservations hold real stock in the scratch database, so late in a
# long run the reserve turn may meet a sold-out item and be answered with nearby stores, as a shopper would be.
OUR_MIX: tuple[tuple[tuple[str, str], ...], ...] = (
    (("stock", "do you have the trailblazer boots in brown size 9 at arndale?"),),
    (("support", "can i return without a receipt"),),
    (("stock", "is the kinder fleece in grey size m in stock at didsbury?"),),
    (("basket", "reserve a white fell running tee medium at arndale"), ("checkout", "checkout"),
     ("checkout", "pay at pickup")),
    (("stock", "have you got the trailblazer boots brown size 9.5 at trafford"),),
    (("store", "when does stockport close on sunday"),),
    (("stock", "do you have FS-BOOT-TRB-BRN-9 at didsbury"),),
    (("support", "what payment methods do you take"),),
    (("stock", "any kinder fleece in navy size l at salford quays?"),),
    (("stock", "do you have the kinder fleece in burgundy size s at stockport"),),
)
BASELINE_MIX = tuple(((("moodbot", text),) for text in BASELINE_MESSAGES))
# The heaviest common message alone (issue 15's probe), against the moodbot's "hello".
STOCK_QUESTION = OUR_MIX[0][0][1]
OUR_SINGLE = ((("stock", STOCK_QUESTION),),)
BASELINE_SINGLE = ((("moodbot", "hello"),),)
Scripts = tuple[tuple[tuple[str, str], ...], ...]


@dataclass
class BenchStackConfig(StackConfig):
    """The stack's own configuration plus extra endpoints.yml lines (to measure a lever such as a lock store)."""

    extra_endpoints: str = ""

    def endpoints_file(self) -> Path:
        path = super().endpoints_file()
        if self.extra_endpoints:
            path.write_text(path.read_text() + self.extra_endpoints.rstrip("\n") + "\n")
        return path


@dataclass
class System:
    """A started system: its processes, where to send messages, and when it was spawned."""

    name: str
    kind: str  # loadgen target kind
    url: str
    messages: tuple[str, ...]
    started_at: float  # time.time() when the first process was spawned
    mix: Scripts = ()  # conversations of (kind, text) turns for the concurrency scenarios
    single: Scripts = ()  # the one-message workload: every conversation is that message alone
    sms: dict[str, object] | None = None  # the SMS path: bench.sms.SmsSettings fields, and where its webhooks go
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: list[IO[bytes]] = field(default_factory=list)
    stack: RunningStack | None = None
    log_dir: Path | None = None

    def target(self, workload: str = "mix", path: str | None = None) -> dict[str, object]:
        """The load generator's target: `workload` "mix" or "single"; `path` "sms" for the SMS webhooks."""
        scripts = self.single if workload == "single" else self.mix
        # The long and back-to-back scenarios play these texts in turn in one conversation.
        messages = [text for script in scripts for _kind, text in script] or list(self.messages)
        target: dict[str, object] = {"name": self.name, "kind": self.kind, "url": self.url, "messages": messages,
                                     "scripts": [[list(turn) for turn in script] for script in scripts]}
        if path == "sms":
            assert self.sms is not None, f"{self.name} was started without the SMS path"
            target.update(kind="sms", url=self.sms["webhook_url"], sms=self.sms)
        return target

    def alive(self) -> bool:
        return all(process.poll() is None for process in self.all_processes().values())

    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.all_processes().items()}

    def all_processes(self) -> dict[str, subprocess.Popen]:
        return self.stack.processes if self.stack else self.processes

    def close_logs(self) -> None:
        for log in [*self.logs, *(self.stack.logs if self.stack else [])]:
            if not log.closed:
                log.close()


def stop_all(systems: list[System], timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM every process the systems started, all at once, then SIGKILL what has not exited in time."""
    processes = [process for system in systems for process in system.all_processes().values()]
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for system in systems:
        system.close_logs()


def _spawn(system: System, name: str, command: list[str], cwd: Path, env: dict[str, str], log_dir: Path) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / f"{system.name}-{name}.log", "ab")
    system.logs.append(log)
    system.processes[name] = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)


def start_baseline(project: BaselineProject, env: dict[str, str], log_dir: Path) -> System:
    """Starts the moodbot's action server and `rasa run --enable-api` on free loopback ports."""
    rasa_port, action_port = free_port(), free_port()
    system = System("baseline", "rest", f"http://{HOST}:{rasa_port}", BASELINE_MESSAGES, time.time(), BASELINE_MIX,
                    BASELINE_SINGLE, log_dir=log_dir)
    _spawn(
        system,
        "actions",
        [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(action_port)],
        project.directory,
        env,
        log_dir,
    )
    _spawn(
        system,
        "rasa",
        [
            str(VENV_BIN / "rasa"), "run", "--model", str(project.model), "--enable-api",
            "--endpoints", str(project.endpoints_file(action_port)),
            "--credentials", str(project.directory / "credentials.yml"),
            "--interface", HOST, "--port", str(rasa_port),
        ],
        project.directory,
        env,
        log_dir,
    )
    return system


def start_ours(model: Path, env: dict[str, str], state_dir: Path, log_dir: Path, extra_endpoints: str = "",
               sms: dict[str, object] | None = None) -> System:
    """Starts this project's Rasa server and bot server exactly as `make run` does (`sms`: SmsSettings fields;
    its replies then go to the fake Twilio API the load generator runs)."""
    config = BenchStackConfig(
        model=model, env=env, rasa_port=free_port(), bot_port=free_port(), host=HOST, state_dir=state_dir, log_dir=log_dir,
        extra_endpoints=extra_endpoints,
    )
    started_at = time.time()
    stack = start_stack(config)
    sms_path = {**sms, "webhook_url": stack.rasa_url, "rasa_url": stack.rasa_url, "rasa_token": env["RASA_TOKEN"]} if sms else None
    return System("ours", "webchat", stack.bot_url, OUR_MESSAGES, started_at, OUR_MIX, OUR_SINGLE, sms_path, stack=stack,
                  log_dir=log_dir)


def prepare_database(env: dict[str, str]) -> None:
    """Migrates and seeds the scratch database the stack will use (the demo catalogue)."""
    for command in (["migrate"], ["seed"]):
        subprocess.run(
            [str(VENV_BIN / "python"), "-m", "bot.cli", *command],
            cwd=PROJECT_ROOT, env=env, check=True, capture_output=True, timeout=300,
        )


def log_tail(system: System, characters: int = 3000) -> str:
    if system.log_dir is None:
        return ""
    parts = []
    for log in sorted(system.log_dir.glob("*.log")):
        parts.append(f"----- {log.name} -----\n{log.read_text(errors='replace')[-characters:]}")
    return "\n".join(parts)
