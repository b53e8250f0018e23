"""The Rasa client reports a slow or failing Rasa as RasaUnavailable, so callers apologise instead of a 500."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from aiohttp import web

from bot.adapters.rasa_client import RasaClient, RasaUnavailable
from bot.kernel.shop import Shop


async def _fake_rasa(handler) -> tuple[web.AppRunner, str]:  # type: ignore[no-untyped-def]
    app = web.Application()
    app.router.add_post("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]


async def test_a_slow_rasa_is_unavailable_not_a_crash(shop: Shop) -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(1.5)  # past the client's 0.2 s timeout
        return web.json_response({})

    runner, url = await _fake_rasa(slow)
    client = RasaClient(dataclasses.replace(shop.settings, rasa_url=url), timeout_seconds=0.2)
    try:
        with pytest.raises(RasaUnavailable, match="did not answer"):
            await client.forward_webchat("web-7f3c2a9e-0000-4000-8000-0123456789ab", "hi")
    finally:
        await client.close()
        await runner.cleanup()


async def test_an_error_answer_is_unavailable(shop: Shop) -> None:
    async def failing(_request: web.Request) -> web.Response:
        return web.json_response({"error": "boom"}, status=500)

    runner, url = await _fake_rasa(failing)
    client = RasaClient(dataclasses.replace(shop.settings, rasa_url=url))
    try:
        with pytest.raises(RasaUnavailable, match="answered 500"):
            await client.trigger_intent("sms:+447700900123", "EXTERNAL_order_ready")
    finally:
        await client.close()
        await runner.cleanup()


@pytest.mark.parametrize("answer, reached", [("502", True), ("dropped", True), ("503", False), ("500", False), ("refused", False)])
async def test_a_failure_says_whether_the_line_may_have_reached_a_replica_that_died(shop: Shop, answer: str, reached: bool) -> None:
    # 502 (nginx: the upstream died under the request) and a dropped connection: the turn may have run.
    # 503 (Rasa's own "busy"), 500 and a refused connection: it did not.
    async def handler(request: web.Request) -> web.Response:
        if answer == "dropped":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        return web.json_response({"error": "x"}, status=int(answer))

    runner, url = await _fake_rasa(handler)
    if answer == "refused":
        await runner.cleanup()  # nothing listens there any more
    client = RasaClient(dataclasses.replace(shop.settings, rasa_url=url))
    try:
        with pytest.raises(RasaUnavailable) as failure:
            await client.forward_webchat("web-7f3c2a9e-0000-4000-8000-0123456789ab", "hi")
        assert failure.value.reached is reached
    finally:
        await client.close()
        await runner.cleanup()
