"""Real nginx with the project's deploy/nginx.conf, its ports and files moved for a test.

The one way the production tests put nginx in front of replicas: test_nginx.py (routes, SSE, 503s),
test_supervisord.py (docs/production.md followed literally) and the chaos run (conftest's `deployment`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from scripts.stack import free_port
from tests.support.databases import running_in_ci

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG = PROJECT_ROOT / "deploy" / "nginx.conf"
INSTALL = PROJECT_ROOT / "scripts" / "ensure_nginx.sh"


def _installed() -> str | None:
    return shutil.which("nginx") or (str(Path("/usr/sbin/nginx")) if Path("/usr/sbin/nginx").exists() else None)


def nginx_binary() -> str:
    """Debian's nginx (`make test` and `make chaos` install it: scripts/ensure_nginx.sh). Under CI=true a
    missing one is installed with that script, and the test fails if that did not work; locally its absence
    skips the test."""
    found = _installed()
    if not found and running_in_ci():
        subprocess.run(["bash", str(INSTALL)], check=False, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
        found = _installed()
        if not found:
            pytest.fail("nginx is not installed and scripts/ensure_nginx.sh (apt-get install -y nginx) did not install it")
    if not found:
        pytest.skip("nginx is not installed (`make nginx`, or apt-get install -y nginx)")
    return found


def as_test_user(config: str) -> str:
    """Run as root, nginx's workers become `nobody`, who cannot enter pytest's private (0700) temporary
    folders where the test's temp paths are: keep the workers as the test's own user."""
    if os.geteuid() == 0:
        return config.replace("worker_processes auto;", "worker_processes auto;\nuser root;", 1)
    return config


def moved_config(files: Path, rasa_ports: list[int], bot_ports: list[int], public: int, internal: int) -> str:
    """deploy/nginx.conf with its upstreams, listeners and files (`/tmp/fellside-nginx*`) moved."""
    config = CONFIG.read_text()
    for default, port in (("5005", rasa_ports[0]), ("5006", rasa_ports[1]), ("5055", bot_ports[0]), ("5056", bot_ports[1])):
        config = config.replace(f"127.0.0.1:{default} ", f"127.0.0.1:{port} ")
    config = config.replace("listen 8080;", f"listen 127.0.0.1:{public};").replace("127.0.0.1:8081;", f"127.0.0.1:{internal};")
    return as_test_user(config.replace("/tmp/fellside-nginx", str(files)))


@contextmanager
def running_nginx(tmp_path: Path, rasa_ports: list[int], bot_ports: list[int], internal: int | None = None) -> Iterator[str]:
    """nginx with deploy/nginx.conf, its upstream ports moved to the given ones (and its internal
    listener to `internal`, if given); yields the public URL. Its error log is `tmp_path/nginx.log`
    (a file, not a pipe nobody reads: a long run's upstream errors would fill a pipe and stall nginx)."""
    public, internal = free_port(), internal or free_port()
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "nginx.conf").write_text(moved_config(tmp_path / "nginx", rasa_ports, bot_ports, public, internal))
    log_path = tmp_path / "nginx.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [nginx_binary(), "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-g", "daemon off;"],
            stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{public}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{url}/health", timeout=2)  # any answer, even nginx's 502 before the replicas are up
                break
            except httpx.HTTPError:
                assert process.poll() is None, log_path.read_text(errors="replace")[-3000:] or "nginx exited"
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)
