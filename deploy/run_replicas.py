"""The test suite's launcher for N Rasa servers and N bot servers in production mode (tests/production).

Production itself runs under supervisord (deploy/supervisord.conf, docs/production.md), which restarts
a replica that dies; this launcher restarts nothing by itself: the fault tests kill and restart replicas
on purpose. Every replica gets the same environment (deploy/production.env.example); Rasa reads
deploy/endpoints.production.yml, started the same way as in deploy/supervisord.conf.
"""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable

# Health checks answer exactly as in `make run`.
from scripts.stack import answers

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
PRODUCTION_ENDPOINTS = PROJECT_ROOT / "deploy" / "endpoints.production.yml"


@dataclass
class Replica:
    """One process: its command, environment, health URL, and the running process if any."""

    name: str
    command: list[str]
    env: dict[str, str]
    health_url: str
    url: str
    log_path: Path | None = None
    process: subprocess.Popen | None = None
    _log: IO[bytes] | None = None

    def start(self) -> None:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT if self._log else None
        )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, number: int) -> None:
        if self.running():
            assert self.process is not None
            self.process.send_signal(number)

    def wait_exit(self, timeout: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, characters: int = 4000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-characters:]


@dataclass
class ReplicaSet:
    replicas: dict[str, Replica] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Replica:
        return self.replicas[name]

    def start(self, names: Iterable[str] | None = None) -> None:
        for name in names or self.replicas:
            self.replicas[name].start()

    def kill(self, name: str) -> None:
        """kill -9: no clean-up runs, exactly like a crashed machine or an OOM kill."""
        replica = self.replicas[name]
        replica.signal(signal.SIGKILL)
        replica.wait_exit(10)

    def restart(self, name: str, timeout: float = 180.0) -> None:
        replica = self.replicas[name]
        if replica.running():
            self.kill(name)
        replica.start()
        self.wait_until_ready([name], timeout)

    def wait_until_ready(self, names: Iterable[str] | None = None, timeout: float = 240.0) -> None:
        """Waits until each replica answers its health URL; raises with its log if one dies or time runs out."""
        pending = {name: self.replicas[name] for name in (names or self.replicas)}
        deadline = time.monotonic() + timeout
        while pending:
            for name, replica in list(pending.items()):
                if not replica.running():
                    raise RuntimeError(f"{name} exited during start-up:\n{replica.log_tail()}")
                if answers(replica.health_url):
                    pending.pop(name)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f} s: {', '.join(pending)}")
            time.sleep(0.25)

    def stop(self, timeout: float = 20.0) -> None:
        for replica in self.replicas.values():
            replica.signal(signal.SIGTERM)
        for replica in self.replicas.values():
            replica.wait_exit(timeout)


def plan_replicas(
    model: Path,
    env: dict[str, str],
    rasa_ports: list[int],
    bot_ports: list[int],
    *,
    host: str = "127.0.0.1",
    log_dir: Path | None = None,
    pair_directly: bool = False,
) -> ReplicaSet:
    """Describes the processes; nothing starts yet.

    Args:
        model: the trained Rasa model.
        env: the shared environment (production.env plus secrets).
        rasa_ports, bot_ports: one port per replica.
        log_dir: where each replica writes `<name>.log`; None writes to this terminal.
        pair_directly: without nginx (tests), bot server i talks to Rasa i, and Rasa i calls actions on
            the *next* bot server (i+1), so a shopper's own bot server and the action server are
            different processes, as behind a load balancer; otherwise ACTION_ENDPOINT_URL and
            RASA_URL come from `env` (nginx).
    """
    replicas: dict[str, Replica] = {}
    for index, port in enumerate(rasa_ports):
        replica_env = dict(env)
        if pair_directly:
            replica_env["ACTION_ENDPOINT_URL"] = f"http://{host}:{bot_ports[(index + 1) % len(bot_ports)]}/webhook"
        replicas[f"rasa-{index}"] = Replica(
            name=f"rasa-{index}",
            command=[
                # `rasa run` with --auth-token from RASA_TOKEN inside the process (never in `ps`).
                str(VENV_BIN / "python"), "-m", "scripts.rasa_run",
                "--model", str(model),
                "--enable-api",
                "--endpoints", str(PRODUCTION_ENDPOINTS),
                "--credentials", str(PROJECT_ROOT / "credentials.yml"),
                "--interface", host, "--port", str(port),
            ],
            env=replica_env,
            health_url=f"http://{host}:{port}/status?token={env['RASA_TOKEN']}",
            url=f"http://{host}:{port}",
            log_path=log_dir / f"rasa-{index}.log" if log_dir else None,
        )
    for index, port in enumerate(bot_ports):
        replica_env = dict(env, SHOP_HOST=host, SHOP_PORT=str(port))
        if pair_directly:
            replica_env["RASA_URL"] = f"http://{host}:{rasa_ports[index % len(rasa_ports)]}"
        replicas[f"bot-{index}"] = Replica(
            name=f"bot-{index}",
            command=[str(VENV_BIN / "python"), "-m", "bot.server"],
            env=replica_env,
            health_url=f"http://{host}:{port}/health",
            url=f"http://{host}:{port}",
            log_path=log_dir / f"bot-{index}.log" if log_dir else None,
        )
    return ReplicaSet(replicas)


REQUIRED = (
    "SHOP_DATABASE_URL", "RASA_TRACKER_DB_HOST", "RASA_TRACKER_DB_PORT", "RASA_TRACKER_DB_NAME", "RASA_TRACKER_DB_USER",
    "RASA_TRACKER_DB_PASSWORD", "RASA_TRACKER_LOGIN_DB", "RASA_LOCK_STORE_URL", "RASA_LOCK_KEY_PREFIX",
    "RASA_LOCK_LEASE_SECONDS", "RABBITMQ_HOST", "RABBITMQ_PORT", "RABBITMQ_USER", "RABBITMQ_PASSWORD",
    "RASA_EVENTS_QUEUE", "REDIS_URL", "ACTION_ENDPOINT_URL", "RASA_URL",
)


def missing_settings(env: dict[str, str]) -> list[str]:
    """Production variables that are not set at all (an empty password is allowed)."""
    return [name for name in REQUIRED if name not in env]
