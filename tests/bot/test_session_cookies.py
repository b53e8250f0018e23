"""The one cookie signer behind both logins: the agent console and the store dashboard, on a real server.

A tampered cookie, an expired one, and one login's cookie offered to the other are all refused.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import timedelta
from typing import AsyncIterator

import httpx
import pytest
from sanic import Sanic

from bot.kernel import clock
from bot.server.app import create_app
from bot.server.console_auth import SESSION_COOKIE as CONSOLE_COOKIE
from bot.server.console_routes import DEFAULT_SESSION_TTL
from bot.server.cookies import CookieSigner, SessionSecretMissing
from bot.server.dashboard_routes import SESSION_COOKIE as DASHBOARD_COOKIE
from bot.server.dashboard_routes import SESSION_SECONDS
from bot.handoff.agents import create_agent
from bot.identity.store_access import set_dashboard_password
from bot.kernel.shop import Shop
from tests.bot.factories import seed_small_shop
from tests.support.sanic_server import serving

AGENT_PASSWORD = "correct horse battery"
STORE_PASSWORD = "leeds counter password"


@pytest.fixture
async def base_url(shop: Shop) -> AsyncIterator[str]:
    seed_small_shop(shop)
    shop.run(set_dashboard_password, "leeds", STORE_PASSWORD)
    shop.run(create_agent, "sam", "Sam", AGENT_PASSWORD)
    Sanic.test_mode = True
    app = create_app(shop, name=f"cookies_test_{uuid.uuid4().hex[:8]}", run_sweeper=False)
    async with serving(app) as url:
        yield url


async def _console_cookie(client: httpx.AsyncClient) -> str:
    page = await client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    reply = await client.post("/console/login", data={"username": "sam", "password": AGENT_PASSWORD, "csrf_token": token})
    assert reply.status_code == 303, reply.text
    return str(client.cookies.get(CONSOLE_COOKIE))


async def _dashboard_cookie(client: httpx.AsyncClient) -> str:
    page = await client.get("/store/login")
    token = re.search(r"name='csrf' value='([^']+)'", page.text).group(1)  # type: ignore[union-attr]
    reply = await client.post("/store/login", data={"csrf": token, "store": "leeds", "password": STORE_PASSWORD})
    assert reply.status_code == 303, reply.text
    return str(client.cookies.get(DASHBOARD_COOKIE))


async def _console_lets_in(base_url: str, cookie: str) -> bool:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        client.cookies.set(CONSOLE_COOKIE, cookie, path="/console")
        reply = await client.get("/console/api/queue")
        assert reply.status_code in (200, 401)
        return reply.status_code == 200


async def _dashboard_lets_in(base_url: str, cookie: str) -> bool:
    async with httpx.AsyncClient(base_url=base_url, timeout=30, follow_redirects=False) as client:
        client.cookies.set(DASHBOARD_COOKIE, cookie, path="/store")
        reply = await client.get("/store/board")
        assert reply.status_code in (200, 302)
        return reply.status_code == 200


def _tampered(cookie: str, **claims: object) -> str:
    """The cookie with its claims changed and its old signature kept, as a forger would have to."""
    body, _dot, signature = cookie.rpartition(".")
    data = json.loads(base64.urlsafe_b64decode(body.encode()))
    forged = base64.urlsafe_b64encode(json.dumps({**data, **claims}).encode()).decode()
    return f"{forged}.{signature}"


async def test_both_logins_refuse_tampered_expired_and_each_others_cookies(base_url: str) -> None:
    signed_in_at = clock.now()
    with clock.frozen_at(signed_in_at):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as agent:
            console = await _console_cookie(agent)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as staff:
            dashboard = await _dashboard_cookie(staff)
        assert await _console_lets_in(base_url, console)
        assert await _dashboard_lets_in(base_url, dashboard)
        # Tampered: another agent, another store, a later expiry; the signature no longer matches.
        assert not await _console_lets_in(base_url, _tampered(console, agent=2))
        assert not await _console_lets_in(base_url, _tampered(console, exp=10**15))
        assert not await _dashboard_lets_in(base_url, _tampered(dashboard, store="york"))
        assert not await _dashboard_lets_in(base_url, _tampered(dashboard, exp=10**15))
        # One login's cookie is not the other's, although both are signed with SHOP_SESSION_SECRET.
        assert not await _console_lets_in(base_url, dashboard)
        assert not await _dashboard_lets_in(base_url, console)
    # Expired: a minute past each login's lifetime.
    with clock.frozen_at(signed_in_at + DEFAULT_SESSION_TTL - timedelta(minutes=1)):
        assert await _console_lets_in(base_url, console)
    with clock.frozen_at(signed_in_at + DEFAULT_SESSION_TTL + timedelta(minutes=1)):
        assert not await _console_lets_in(base_url, console)
    with clock.frozen_at(signed_in_at + timedelta(seconds=SESSION_SECONDS - 60)):
        assert await _dashboard_lets_in(base_url, dashboard)
    with clock.frozen_at(signed_in_at + timedelta(seconds=SESSION_SECONDS + 60)):
        assert not await _dashboard_lets_in(base_url, dashboard)


def test_the_signer_binds_csrf_tokens_to_their_nonce_and_needs_a_secret() -> None:
    signer = CookieSigner("a secret", "store-dashboard")
    token = signer.csrf_token("nonce-1")
    assert signer.csrf_valid("nonce-1", token)
    assert not signer.csrf_valid("nonce-2", token)
    assert not signer.csrf_valid(None, token) and not signer.csrf_valid("nonce-1", None)
    assert not CookieSigner("another secret", "store-dashboard").csrf_valid("nonce-1", token)
    assert not CookieSigner("a secret", "agent-console").csrf_valid("nonce-1", token)
    assert signer.read(signer.issue({"store": "leeds"}, timedelta(minutes=5)))["store"] == "leeds"  # type: ignore[index]
    with pytest.raises(SessionSecretMissing):
        CookieSigner("", "agent-console")

