"""The agent console on a real Sanic server on loopback: login, sessions, CSRF, queue, take, reply, hand back."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

import httpx
import pytest
from sanic import Sanic
from sqlalchemy import select

from bot.kernel import clock
from bot.kernel.models import AuditEntry, ChannelIdentity, ChatMessage, Customer, OutboundMessage
from bot.server.app import create_app
from bot.server.console_auth import CSRF_HEADER, SESSION_COOKIE
from bot.server.console_routes import build_console_blueprint
from bot.handoff import sessions as handoff
from bot.handoff import states
from bot.handoff.agents import create_agent
from bot.identity.login_throttle import FREE_FAILURES
from bot.messaging.transcript import messages_after, record_message
from bot.kernel.shop import Shop
from tests.bot.factories import place, seed_small_shop
from tests.support.sanic_server import serving

PASSWORD = "correct horse battery"
WEB = "web-00000000-0000-4000-8000-0000000000c1"
SMS = "sms:+447700900123"
TTL = timedelta(minutes=30)


class FakeAssistant:
    """Stands in for RasaClient: records pause/resume calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def pause_conversation(self, conversation_id: str, metadata: dict | None = None) -> dict:
        self.calls.append(("pause", conversation_id))
        return {}

    async def resume_conversation(self, conversation_id: str) -> dict:
        self.calls.append(("resume", conversation_id))
        return {}

    async def close(self) -> None:
        return None


class Console:
    def __init__(self, shop: Shop, base: str, assistant: FakeAssistant) -> None:
        self.shop, self.base, self.assistant = shop, base, assistant

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, timeout=30, follow_redirects=False)

    async def login(self, client: httpx.AsyncClient, username: str = "sam", password: str = PASSWORD) -> str:
        """Logs in; returns the CSRF token from the console page."""
        page = await client.get("/console/login")
        form_token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        reply = await client.post("/console/login", data={"username": username, "password": password, "csrf_token": form_token})
        assert reply.status_code == 303, reply.text
        console = await client.get("/console")
        assert console.status_code == 200
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', console.text).group(1)  # type: ignore[union-attr]


@pytest.fixture
async def console(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Console]:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_SMS_FROM"):
        monkeypatch.delenv(name, raising=False)
    shop.run(create_agent, "sam", "Sam", PASSWORD)
    shop.run(create_agent, "kim", "Kim", PASSWORD)
    Sanic.test_mode = True
    app = create_app(
        shop,
        name=f"console_test_{uuid.uuid4().hex[:8]}",
        run_sweeper=False,
        console=build_console_blueprint(session_ttl=TTL, policy=states.HandoffPolicy.from_env({})),
    )
    app.config.PROXIES_COUNT = 1  # the client address comes from X-Forwarded-For, as behind nginx
    assistant = FakeAssistant()

    @app.after_server_start
    async def use_fake_rasa(app: Sanic, _loop: object) -> None:
        await app.ctx.rasa.close()
        app.ctx.rasa = assistant

    async with serving(app) as base_url:
        yield Console(shop, base_url, assistant)


def _transcript(shop: Shop, conversation_id: str) -> list[tuple[str, str]]:
    return [(line.author, line.text) for line in shop.run(messages_after, conversation_id)]


# --- nobody gets in without a login ---------------------------------------------------------------

API_GETS = ["/console/api/queue", "/console/api/search?q=0770", f"/console/api/conversation?conversation_id={WEB}", f"/console/api/stream?conversation_id={WEB}"]
API_POSTS = ["/console/api/take", "/console/api/reply", "/console/api/hand-back", "/console/api/close"]


async def test_every_console_route_needs_a_login(console: Console) -> None:
    handoff_id = console.shop.run(handoff.request_handoff, WEB, "webchat", states.ASKED_FOR_PERSON).handoff.id
    console.shop.run(record_message, WEB, "webchat", "user", "secret transcript line")
    async with console.client() as client:
        page = await client.get("/console")
        assert (page.status_code, page.headers["location"]) == (302, "/console/login")
        for path in API_GETS:
            reply = await client.get(path)
            assert reply.status_code == 401, path
            assert "secret transcript line" not in reply.text
        for path in API_POSTS:
            reply = await client.post(path, json={"handoff_id": handoff_id, "conversation_id": WEB, "text": "hi"})
            assert reply.status_code == 401, path
        logout = await client.post("/console/logout")
        assert (logout.status_code, logout.headers["location"]) == (302, "/console/login")
        # A forged cookie is no better than none.
        client.cookies.set(SESSION_COOKIE, "1.0.99999999999999.nonce.deadbeef", path="/console")
        assert (await client.get("/console/api/queue")).status_code == 401
    assert console.shop.run(handoff.get_handoff, handoff_id).state == "waiting"
    assert console.assistant.calls == []


async def test_login_form_needs_its_csrf_token_and_the_right_password(console: Console) -> None:
    async with console.client() as client:
        page = await client.get("/console/login")
        assert page.status_code == 200 and page.headers["content-security-policy"].startswith("default-src 'self'")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        missing = await client.post("/console/login", data={"username": "sam", "password": PASSWORD})
        assert missing.status_code == 403
        # Every login page sets a fresh double-submit token: use the one the refusal page carries.
        token = re.search(r'name="csrf_token" value="([^"]+)"', missing.text).group(1)  # type: ignore[union-attr]
        wrong = await client.post("/console/login", data={"username": "sam", "password": "nope nope nope", "csrf_token": token})
        assert wrong.status_code == 401 and "Wrong username or password" in wrong.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', wrong.text).group(1)  # type: ignore[union-attr]
        right = await client.post("/console/login", data={"username": "sam", "password": PASSWORD, "csrf_token": token})
        assert (right.status_code, right.headers["location"]) == (303, "/console")
        cookie = next(value for name, value in right.headers.multi_items() if name == "set-cookie" and value.startswith(SESSION_COOKIE))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
        assert f"Max-Age={int(TTL.total_seconds())}" in cookie
        assert (await client.get("/console")).status_code == 200


async def test_repeated_wrong_passwords_slow_the_guessing_address_only(console: Console, frozen_login_clock: None) -> None:
    attacker, owner = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.2"}

    async def attempt(client: httpx.AsyncClient, password: str, headers: dict[str, str]) -> httpx.Response:
        page = await client.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        return await client.post("/console/login", data={"username": "sam", "password": password, "csrf_token": token}, headers=headers)

    async with console.client() as client:
        wrong = [(await attempt(client, "wrong password!", attacker)).status_code for _ in range(FREE_FAILURES + 1)]
        assert wrong == [401] * (FREE_FAILURES + 1)
        held = await attempt(client, PASSWORD, attacker)  # even the right password waits, from that address
        assert (held.status_code, held.headers["retry-after"]) == (429, "1")
    async with console.client() as client:
        # The agent, from their own address, logs in at once: a known username is no lock-out.
        assert (await attempt(client, PASSWORD, owner)).status_code == 303
    with console.shop.uow() as uow:
        failures = uow.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "console_login_failed")).all()
    assert failures == [{"client": "203.0.113.7"}] * (FREE_FAILURES + 1)


async def test_the_login_csrf_cookie_is_secure_behind_https(console: Console) -> None:
    console.shop.settings = dataclasses.replace(console.shop.settings, public_base_url="https://shop.example.com")
    async with console.client() as client:
        page = await client.get("/console/login")
    cookie = next(value for name, value in page.headers.multi_items() if name == "set-cookie" and value.startswith("console_login_csrf"))
    assert "Secure" in cookie and "HttpOnly" in cookie


async def test_state_changes_need_the_csrf_token(console: Console) -> None:
    handoff_id = console.shop.run(handoff.request_handoff, WEB, "webchat", states.ASKED_FOR_PERSON).handoff.id
    async with console.client() as client:
        csrf = await console.login(client)
        for path in API_POSTS:
            reply = await client.post(path, json={"handoff_id": handoff_id, "conversation_id": WEB, "text": "hi"})
            assert reply.status_code == 403, path
            forged = await client.post(path, json={"handoff_id": handoff_id}, headers={CSRF_HEADER: "0" * 64})
            assert forged.status_code == 403, path
        assert console.shop.run(handoff.get_handoff, handoff_id).state == "waiting"
        logout = await client.post("/console/logout")
        assert logout.status_code == 403
        taken = await client.post("/console/api/take", json={"handoff_id": handoff_id}, headers={CSRF_HEADER: csrf})
        assert taken.status_code == 200 and taken.json()["status"] == "taken"


async def test_sessions_expire(console: Console) -> None:
    signed_in_at = clock.now()
    async with console.client() as client:
        with clock.frozen_at(signed_in_at):
            await console.login(client)
        with clock.frozen_at(signed_in_at + TTL - timedelta(seconds=60)):
            assert (await client.get("/console/api/queue")).status_code == 200
        with clock.frozen_at(signed_in_at + TTL + timedelta(seconds=60)):
            assert (await client.get("/console/api/queue")).status_code == 401
            page = await client.get("/console")
            assert (page.status_code, page.headers["location"]) == (302, "/console/login")


async def test_logout_kills_the_session_even_if_the_cookie_is_replayed(console: Console) -> None:
    async with console.client() as client:
        csrf = await console.login(client)
        stolen = client.cookies.get(SESSION_COOKIE)
        logout = await client.post("/console/logout", data={"csrf_token": csrf})
        assert (logout.status_code, logout.headers["location"]) == (303, "/console/login")
    async with console.client() as thief:
        thief.cookies.set(SESSION_COOKIE, stolen, path="/console")  # type: ignore[arg-type]
        assert (await thief.get("/console/api/queue")).status_code == 401


# --- the work itself ------------------------------------------------------------------------------


async def test_take_reply_and_hand_back_a_web_conversation(console: Console) -> None:
    shop = console.shop
    shop.run(record_message, WEB, "webchat", "user", "can i talk to a real person")
    handoff_id = shop.run(handoff.request_handoff, WEB, "webchat", states.ASKED_FOR_PERSON).handoff.id
    async with console.client() as sam, console.client() as kim:
        sam_csrf, kim_csrf = await console.login(sam, "sam"), await console.login(kim, "kim")
        queue = (await sam.get("/console/api/queue")).json()
        assert [(i["conversation_id"], i["state"], i["reason_label"]) for i in queue["queue"]] == [
            (WEB, "waiting", "asked for a person")
        ]
        assert queue["figures"]["waiting_now"] == 1 and queue["me"]["display_name"] == "Sam"

        early = await sam.post("/console/api/reply", json={"conversation_id": WEB, "text": "hi"}, headers={CSRF_HEADER: sam_csrf})
        assert early.status_code == 409

        taken = await sam.post("/console/api/take", json={"handoff_id": handoff_id}, headers={CSRF_HEADER: sam_csrf})
        assert taken.json()["status"] == "taken"
        lost = await kim.post("/console/api/take", json={"handoff_id": handoff_id}, headers={CSRF_HEADER: kim_csrf})
        assert (lost.status_code, lost.json()["status"]) == (409, "taken_by_other")
        assert console.assistant.calls == [("pause", WEB)]

        said = await sam.post(
            "/console/api/reply", json={"conversation_id": WEB, "text": "Hi, Sam here. How can I help?"}, headers={CSRF_HEADER: sam_csrf}
        )
        assert said.json() == {"status": "delivered", "reason": ""}
        not_theirs = await kim.post("/console/api/reply", json={"conversation_id": WEB, "text": "me too"}, headers={CSRF_HEADER: kim_csrf})
        assert not_theirs.status_code == 409
        kim_back = await kim.post("/console/api/hand-back", json={"handoff_id": handoff_id}, headers={CSRF_HEADER: kim_csrf})
        assert kim_back.status_code == 403

        overview = (await sam.get("/console/api/conversation", params={"conversation_id": WEB})).json()
        assert overview["handoff"]["state"] == "active" and overview["handoff"]["agent_name"] == "Sam"

        back = await sam.post("/console/api/hand-back", json={"handoff_id": handoff_id}, headers={CSRF_HEADER: sam_csrf})
        assert back.json()["status"] == "returned"
    assert console.assistant.calls == [("pause", WEB), ("resume", WEB)]
    transcript = _transcript(shop, WEB)
    # The web shopper is told who joined and left (lines for the page; a texted shopper gets none).
    assert transcript[:4] == [
        ("user", "can i talk to a real person"),
        ("bot", "Sam joined the chat"),
        ("agent", "Hi, Sam here. How can I help?"),
        ("bot", "Sam left the chat"),
    ]
    assert transcript[4][0] == "bot" and transcript[4][1].startswith("You're back with the Fellside Outfitters assistant")
    assert shop.run(handoff.open_handoff, WEB) is None


async def test_agent_reply_to_an_sms_shopper_goes_through_the_sms_sender(console: Console) -> None:
    shop = console.shop
    async with console.client() as sam:
        csrf = await console.login(sam)
        # Take over a live conversation that never asked for a person.
        shop.run(record_message, SMS, "sms", "user", "where is my order")
        live = (await sam.get("/console/api/queue")).json()["live"]
        assert [c["conversation_id"] for c in live] == [SMS]
        taken = await sam.post("/console/api/take", json={"conversation_id": SMS, "channel": "sms"}, headers={CSRF_HEADER: csrf})
        assert taken.json()["status"] == "taken"
        said = await sam.post("/console/api/reply", json={"conversation_id": SMS, "text": "Let me check."}, headers={CSRF_HEADER: csrf})
        # No Twilio credentials in this test: the SMS sender is the outbox, which keeps the message.
        assert said.json()["status"] == "outbox"
        closed = await sam.post("/console/api/close", json={"handoff_id": taken.json()["handoff"]["id"]}, headers={CSRF_HEADER: csrf})
        assert closed.json()["status"] == "closed"
    with shop.uow() as uow:
        outbound = uow.session.execute(select(OutboundMessage.channel, OutboundMessage.recipient, OutboundMessage.body)).all()
    assert [tuple(row) for row in outbound] == [("sms", "+447700900123", "Let me check.")]
    assert _transcript(shop, SMS) == [("user", "where is my order"), ("agent", "Let me check.")]
    assert console.assistant.calls == [("pause", SMS), ("resume", SMS)]


async def test_bad_requests_get_clear_errors(console: Console) -> None:
    async with console.client() as sam:
        csrf = await console.login(sam)
        headers = {CSRF_HEADER: csrf}
        assert (await sam.post("/console/api/take", json={}, headers=headers)).status_code == 400
        assert (await sam.post("/console/api/take", json={"handoff_id": 999}, headers=headers)).status_code == 404
        assert (await sam.post("/console/api/hand-back", json={"handoff_id": "x"}, headers=headers)).status_code == 400
        too_long = await sam.post("/console/api/reply", json={"conversation_id": WEB, "text": "x" * 1601}, headers=headers)
        assert too_long.status_code == 400
        assert (await sam.get("/console/api/conversation")).status_code == 400


async def test_stream_sends_new_lines_with_card_numbers_masked(console: Console) -> None:
    shop = console.shop
    with shop.uow() as uow:  # a line stored unmasked by some other path
        uow.session.add(ChatMessage(conversation_id=WEB, channel="webchat", author="user", text="card 4242424242424242"))
        # The assistant's own line is shown as written: its digits are a test card it names on purpose.
        uow.session.add(ChatMessage(conversation_id=WEB, channel="webchat", author="bot", text="Test card: 4242 4242 4242 4242"))
        uow.commit()
    async with console.client() as sam:
        await console.login(sam)
        overview = (await sam.get("/console/api/conversation", params={"conversation_id": WEB})).json()
        assert [m["text"] for m in overview["messages"]] == ["card ************4242", "Test card: 4242 4242 4242 4242"]
        first_id = overview["messages"][-1]["id"]

        async def later_line() -> None:
            await asyncio.sleep(0.3)
            await shop.call(record_message, WEB, "webchat", "user", "still there?")

        writer = asyncio.create_task(later_line())
        received = []
        async with sam.stream("GET", "/console/api/stream", params={"conversation_id": WEB, "after": first_id}) as stream:
            assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
                    break
        await writer
    assert [(m["author"], m["text"]) for m in received] == [("user", "still there?")]


async def test_figures_and_queue_json_shape(console: Console) -> None:
    shop = console.shop
    now = datetime.now(timezone.utc)
    shop.run(handoff.leave_message, "telegram:42", "telegram", now=now - timedelta(minutes=5))
    async with console.client() as sam:
        await console.login(sam)
        data = (await sam.get("/console/api/queue")).json()
    [item] = data["queue"]
    assert (item["state"], item["channel"], item["reason_label"]) == ("message", "telegram", "left a message")
    assert 299 <= item["wait_seconds"] <= 330
    assert data["figures"]["messages_waiting"] == 1
    assert data["availability"]["agents_online"] == 1  # Sam, by using the console


async def test_search_finds_conversations_by_name_phone_and_order_reference(console: Console) -> None:
    shop = console.shop
    seed_small_shop(shop)
    shop.run(record_message, WEB, "webchat", "user", "about my jacket")
    order = place(shop, WEB, {"JKT-NVY-M": 1}, contact_phone="+447700900321")
    shop.run(record_message, "telegram:77", "telegram", "user", "hi")
    with shop.uow() as uow:
        customer = Customer(display_name="Priya Shah", phone="+447700900888")
        uow.session.add(customer)
        uow.session.flush()
        uow.session.add(ChannelIdentity(customer_id=customer.id, channel="telegram", external_id="77", conversation_id="telegram:77"))
        uow.commit()
    async with console.client() as sam:
        await console.login(sam)

        async def found(query: str) -> list[str]:
            reply = await sam.get("/console/api/search", params={"q": query})
            assert reply.status_code == 200, reply.text
            return [(r["conversation_id"], r["shopper"]) for r in reply.json()["results"]]

        assert await found(order.reference) == [(WEB, "+447700900321")]
        assert await found(order.reference[-5:].lower()) == [(WEB, "+447700900321")]
        assert await found("07700 900321") == [(WEB, "+447700900321")]
        assert await found("priya") == [("telegram:77", "Priya Shah · +447700900888")]
        assert await found("+44 7700 900888") == [("telegram:77", "Priya Shah · +447700900888")]
        assert await found("x") == [] and await found("%") == [] and await found("nobody at all") == []
        too_long = await sam.get("/console/api/search", params={"q": "7" * 61})
        assert too_long.status_code == 400


async def test_the_console_shows_an_order_as_the_store_api_does_without_its_pickup_code(console: Console) -> None:
    seed_small_shop(console.shop)
    placed = place(console.shop, WEB, {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="web")
    async with console.client() as client:
        await console.login(client)
        overview = (await client.get("/console/api/conversation", params={"conversation_id": WEB})).json()
    [order] = overview["orders"]
    assert (order["reference"], order["status"], order["store_name"]) == (placed.reference, "pending_payment", "Fellside Leeds")
    assert order["pickup_deadline"] == placed.hold_expires_at.isoformat()
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [("JKT-NVY-M", 1)]
    assert placed.pickup_code not in json.dumps(overview)  # the shopper shows it at the counter
