"""Both servers load the language models when they start, not at the first shopper's message: lingua took
~5 s of CPU (half a minute under load) inside the first turn, and on Rasa's event loop for numbered replies."""

from __future__ import annotations

import time
import uuid

import pytest

from bot.languages import detection
from bot.kernel.shop import Shop
from bot.server.app import create_app
from tests.connectors.helpers import serve_blueprint
from tests.support.channel_rigs import RIGS, AnsweringRasa
from tests.support.sanic_server import serving


@pytest.fixture
def cold(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that has not loaded the models yet (the real ones are kept for the other tests)."""
    monkeypatch.setattr(detection, "_detector", None)
    monkeypatch.setattr(detection, "_warming", None)


def _loaded_without_a_message() -> None:
    deadline = time.monotonic() + 10
    while detection._warming is None:  # started by the server's start-up listener
        assert time.monotonic() < deadline, "the server started without loading the language models"
        time.sleep(0.01)
    detection._warming.join(timeout=300)
    assert detection._detector is not None
    assert detection.warm_up_in_background() is None  # once per process
    assert detection.detect("apakah ada sepatu hitam ukuran 42") == "id"


async def test_the_bot_server_loads_the_language_models_when_it_starts(shop: Shop, cold: None) -> None:
    async with serving(create_app(shop, name=f"warm_up_{uuid.uuid4().hex[:8]}", run_sweeper=False)):
        _loaded_without_a_message()


async def test_a_messaging_channel_loads_them_when_rasa_starts(shop: Shop, cold: None) -> None:
    rig = RIGS["sms"]
    async with serve_blueprint(rig.build(shop).blueprint(AnsweringRasa()), "/webhooks/sms"):
        _loaded_without_a_message()
