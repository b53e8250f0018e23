"""The store dashboard's sign-in over HTTP: the shared login throttle and its audit trail."""

from __future__ import annotations

import re
import uuid
from typing import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from bot.kernel.models import AuditEntry
from bot.server.app import create_app
from bot.identity.login_throttle import FREE_FAILURES
from bot.identity.store_access import set_dashboard_password
from bot.kernel.shop import Shop
from tests.bot.factories import place, seed_small_shop
from tests.support.sanic_server import serving

PASSWORD = "leeds counter password"


@pytest.fixture
async def dashboard(shop: Shop) -> AsyncIterator[str]:
    seed_small_shop(shop)
    shop.run(set_dashboard_password, "leeds", PASSWORD)
    app = create_app(shop, name=f"dashboard_test_{uuid.uuid4().hex[:8]}", run_sweeper=False)
    app.config.PROXIES_COUNT = 1  # the client address comes from X-Forwarded-For, as behind nginx
    async with serving(app) as base_url:
        yield base_url


async def _sign_in(base_url: str, password: str, address: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url, timeout=30, headers={"X-Forwarded-For": address}) as client:
        page = await client.get("/store/login")
        token = re.search(r"name='csrf' value='([^']+)'", page.text).group(1)  # type: ignore[union-attr]
        return await client.post("/store/login", data={"csrf": token, "store": "leeds", "password": password})


async def test_wrong_passwords_are_audit_logged_and_slow_the_guessing_address(dashboard: str, shop: Shop, frozen_login_clock: None) -> None:
    # The probe: 70 wrong passwords, none audit-logged, then the right one worked at once.
    wrong = [(await _sign_in(dashboard, "not the password", "203.0.113.7")).status_code for _ in range(FREE_FAILURES + 1)]
    held = await _sign_in(dashboard, PASSWORD, "203.0.113.7")
    owner = await _sign_in(dashboard, PASSWORD, "198.51.100.2")
    assert wrong == [401] * (FREE_FAILURES + 1)
    assert (held.status_code, held.headers["retry-after"]) == (429, "1")
    assert owner.status_code == 303  # the store's own staff are not locked out by someone else's guesses
    with shop.uow() as uow:
        rows = uow.session.execute(
            select(AuditEntry.actor, AuditEntry.store_id, AuditEntry.detail).where(AuditEntry.action == "store_login_failed")
        ).all()
    assert [tuple(row) for row in rows] == [("store:leeds", "leeds", {"client": "203.0.113.7"})] * (FREE_FAILURES + 1)


async def test_board_and_stream_need_a_session_and_the_stream_says_when_the_board_changed(dashboard: str, shop: Shop) -> None:
    async with httpx.AsyncClient(base_url=dashboard, timeout=30) as anonymous:
        for path in ("/store/board", "/store/stream"):
            reply = await anonymous.get(path)
            assert (reply.status_code, reply.headers["location"]) == (302, "/store/login"), path
    async with httpx.AsyncClient(base_url=dashboard, timeout=30) as staff:
        page = await staff.get("/store/login")
        token = re.search(r"name='csrf' value='([^']+)'", page.text).group(1)  # type: ignore[union-attr]
        assert (await staff.post("/store/login", data={"csrf": token, "store": "leeds", "password": PASSWORD})).status_code == 303
        board = await staff.get("/store", params={"tab": "<script>"})  # an unknown tab is the default one
        assert board.status_code == 200 and "<script>" not in board.text.replace("<script src='/static/dashboard.js' defer></script>", "")
        assert "script-src 'self'" in board.headers["content-security-policy"] and "unsafe-inline" not in board.headers["content-security-policy"]
        version = re.search(r"data-version='([^']*)'", board.text).group(1)  # type: ignore[union-attr]
        fresh = (await staff.get("/store/board", params={"tab": "ready"})).text
        assert fresh.startswith("<div id='board'") and "aria-current=page>Ready" in fresh

        async def first_event(known: str) -> str:
            async with staff.stream("GET", "/store/stream", params={"version": known}) as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("event: ") or line.startswith(": keep-alive"):
                        return line
            return ""

        assert await first_event(version) == ": keep-alive"  # nothing changed since the page was drawn
        place(shop, "sms:+447700900123", {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms")
        assert await first_event(version) == "event: changed"
