from __future__ import annotations

import uuid
from typing import Iterator

import pytest
from playwright.sync_api import Browser
from sanic import Sanic

from bot.handoff import states
from bot.handoff.agents import create_agent
from bot.kernel.shop import Shop
from bot.server.app import create_app
from bot.server.console_routes import build_console_blueprint
from scripts.stack import RunningStack
from tests.bot.test_console_routes import FakeAssistant
from tests.support.browser import headless_chromium
from tests.support.stack import running_assistant
from tests.support.threaded_server import ServerThread, serving_in_thread

# The agents' password of the `console` fixture.
PASSWORD = "correct horse battery"


@pytest.fixture(scope="package")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, Shop]]:
    yield from running_assistant(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with headless_chromium() as browser:
        yield browser


@pytest.fixture
def console(shop: Shop) -> Iterator[ServerThread]:
    """The real bot server with the agent console (agents sam and kim), Rasa replaced by a recorder."""
    shop.run(create_agent, "sam", "Sam Taylor", PASSWORD)
    shop.run(create_agent, "kim", "Kim Lee", PASSWORD)
    Sanic.test_mode = True
    app = create_app(
        shop,
        name=f"console_page_{uuid.uuid4().hex[:8]}",
        run_sweeper=False,
        console=build_console_blueprint(policy=states.HandoffPolicy.from_env({"SUPPORT_TIMEZONE": "Europe/London"})),
    )

    @app.after_server_start
    async def use_fake_rasa(app: Sanic, _loop: object) -> None:
        await app.ctx.rasa.close()
        app.ctx.rasa = FakeAssistant()

    with serving_in_thread(app) as server:
        yield server
