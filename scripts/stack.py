"""Starts and stops the two processes of the assistant: the Rasa server and the bot server.

Used by `make run` and by the end-to-end tests, so both exercise the same start-up path.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import yaml

from scripts.shop_env import PROJECT_ROOT

VENV_BIN = PROJECT_ROOT / ".venv" / "bin"


@dataclass
class StackConfig:
    model: Path
    env: dict[str, str]
    rasa_port: int = 5005
    bot_port: int = 5055
    host: str = "127.0.0.1"
    state_dir: Path = PROJECT_ROOT / "var"
    log_dir: Path | None = None  # None: processes write to this terminal

    def endpoints_file(self) -> Path:
        path = self.state_dir / f"endpoints-{self.bot_port}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        # endpoints.yml with this stack's action server port, so both stay one configuration. Read
        # without Rasa's ${VAR} expansion (importing Rasa installs it into PyYAML for the whole
        # process), so the action endpoint's secret stays a reference and never lands in this file.
        endpoints = yaml.load((PROJECT_ROOT / "endpoints.yml").read_text(), Loader=_loader_without_env_expansion())
        endpoints["action_endpoint"]["url"] = f"http://{self.host}:{self.bot_port}/webhook"
        path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
        return path


def _loader_without_env_expansion() -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "!env_var"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


@dataclass
class RunningStack:
    config: StackConfig
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return f"http://{self.config.host}:{self.config.rasa_port}"

    @property
    def bot_url(self) -> str:
        return f"http://{self.config.host}:{self.config.bot_port}"

    def stop(self, timeout: float = 15.0) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()


def _spawn(name: str, command: list[str], config: StackConfig, env: dict[str, str], stack: RunningStack) -> None:
    output: IO[bytes] | None = None
    if config.log_dir is not None:
        config.log_dir.mkdir(parents=True, exist_ok=True)
        output = open(config.log_dir / f"{name}.log", "ab")
        stack.logs.append(output)
    stack.processes[name] = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT if output else None
    )


def start_stack(config: StackConfig) -> RunningStack:
    env = dict(config.env)
    env.update(
        SHOP_HOST=config.host,
        SHOP_PORT=str(config.bot_port),
        RASA_URL=f"http://{config.host}:{config.rasa_port}",
    )
    stack = RunningStack(config)
    _spawn("bot-server", [str(VENV_BIN / "python"), "-m", "bot.server"], config, env, stack)
    _spawn(
        "rasa",
        [
            # `rasa run` with --auth-token taken from RASA_TOKEN inside the process, never visible in `ps`.
            str(VENV_BIN / "python"), "-m", "scripts.rasa_run",
            "--model", str(config.model),
            "--enable-api",
            "--endpoints", str(config.endpoints_file()),
            "--credentials", str(PROJECT_ROOT / "credentials.yml"),
            "--interface", config.host, "--port", str(config.rasa_port),
        ],
        config,
        env,
        stack,
    )
    return stack


def wait_until_ready(stack: RunningStack, timeout: float = 300.0, progress: bool = False) -> None:
    """Waits until both servers answer; raises with the reason if one dies or time runs out."""
    checks = {"bot-server": f"{stack.bot_url}/health", "rasa": f"{stack.rasa_url}/status?token={stack.config.env['RASA_TOKEN']}"}
    pending = dict(checks)
    deadline = time.monotonic() + timeout
    while pending:
        for name, url in list(pending.items()):
            process = stack.processes[name]
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with code {process.returncode} during start-up")
            if answers(url):
                pending.pop(name)
                if progress:
                    print(f"  {name} is up", flush=True)
        if not pending:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"not ready after {timeout:.0f} s: {', '.join(pending)}")
        time.sleep(0.25)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - loopback URL we built
            return reply.status == 200
    except OSError:
        return False


def free_port() -> int:
    """A free loopback port below the kernel's ephemeral range.

    Ports handed out by bind(0) come from the ephemeral range, where outgoing connections may grab
    them before a slow-starting server (Rasa loads its model for many seconds) binds them.
    """
    import random
    import socket

    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def project_env_path() -> str:
    return os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
