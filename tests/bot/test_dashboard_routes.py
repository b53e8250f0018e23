"""The store dashboard's sign-in over HTTP: the shared login throttle and its audit trail."""

from __future__ import annotations

import re
import uuid
from typing import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from bot.models import AuditEntry
from bot.server.app import create_app
from bot.services.login_throttle import FREE_FAILURES
from bot.services.store_access import set_dashboard_password
from bot.shop import Shop
from tests.bot.factories import seed_small_shop
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


async def test_wrong_passwords_are_audit_logged_and_slow_the_guessing_address(dashboard: str, shop: Shop) -> None:
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
