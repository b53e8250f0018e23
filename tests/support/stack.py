"""A running assistant for end-to-end tests: a fresh database, the real Rasa server and the real bot server."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import httpx

from bot.kernel.config import Settings
from bot.kernel.shop import Shop
from scripts import train_if_needed
from scripts.shop_env import PROJECT_ROOT, model_path, shop_environment
from scripts.stack import RunningStack, StackConfig, free_port, start_stack, wait_until_ready
from tests.support.databases import running_in_ci

PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")


def ensure_model() -> Path:
    if train_if_needed.main() != 0:
        raise RuntimeError("the Rasa model could not be trained")
    return model_path()


def prepare_database(env: dict[str, str]) -> None:
    for command in (["migrate"], ["seed"]):
        subprocess.run([PYTHON, "-m", "bot.cli", *command], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)


def running_assistant(tmp_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[tuple[RunningStack, Shop]]:
    """Yields a started stack and a Shop on the same database, for arranging and checking state."""
    rasa_port, bot_port = free_port(), free_port()
    env = shop_environment()
    env.update(
        SHOP_DATABASE_URL=f"sqlite:///{tmp_dir / 'shop.db'}",
        SHOP_STATE_DIR=str(tmp_dir),
        SHOP_PUBLIC_URL=f"http://127.0.0.1:{bot_port}",
        SHOP_SWEEP_SECONDS="2",
        LOG_LEVEL="INFO",
    )
    env.update(extra_env or {})
    prepare_database(env)
    config = StackConfig(
        model=ensure_model(), env=env, rasa_port=rasa_port, bot_port=bot_port, state_dir=tmp_dir, log_dir=tmp_dir / "logs"
    )
    stack = start_stack(config)
    shop = Shop(Settings(database_url=env["SHOP_DATABASE_URL"], public_base_url=env["SHOP_PUBLIC_URL"]))
    try:
        wait_until_ready(stack)
        yield stack, shop
    except Exception:
        for log in sorted((tmp_dir / "logs").glob("*.log")):
            print(f"----- {log.name} -----\n{log.read_text(errors='replace')[-6000:]}")
        raise
    finally:
        stack.stop()
        shop.close()


class WebShopper:
    """Talks to the assistant as the web chat page does (same JSON and history API)."""

    def __init__(self, bot_url: str) -> None:
        self.conversation_id = f"web-{uuid.uuid4()}"
        self._http = httpx.Client(base_url=bot_url, timeout=60)
        self._seen = 0

    def say(self, text: str, payload: str | None = None) -> list[dict]:
        """Sends a line and returns the assistant's replies to it."""
        body = {"conversation_id": self.conversation_id, "text": text}
        if payload:
            body["payload"] = payload
        reply = self._http.post("/chat/api/messages", json=body)
        reply.raise_for_status()
        return [m for m in self.new_messages() if m["author"] != "user"]

    def new_messages(self) -> list[dict]:
        reply = self._http.get("/chat/api/history", params={"conversation_id": self.conversation_id, "after": self._seen})
        reply.raise_for_status()
        messages = reply.json()["messages"]
        if messages:
            self._seen = messages[-1]["id"]
        return messages

    def close(self) -> None:
        self._http.close()


def fail_or_skip_without(reason: str) -> None:
    import pytest

    if running_in_ci():
        pytest.fail(reason)
    pytest.skip(reason)
