"""The store dashboard in headless Chromium: sign in, see today's order, mark it ready, hand it over."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sanic import Sanic

from bot.kernel.money import format_money
from bot.kernel.models import Customer, StoreHours
from bot.server.app import create_app
from bot.ordering import orders
from bot.messaging.channel_rules import opt_out
from bot.ordering.pickup_alerts import AlertPolicy, alert_timers
from bot.store_operations.store_orders import mark_store_order_ready
from bot.identity.store_access import set_dashboard_password
from bot.kernel.shop import Shop
from tests.support.accessibility import assert_accessible, tab_to
from tests.bot.factories import place, seed_small_shop
from tests.bot.test_pickup_alerts import FakeRasa

pytestmark = pytest.mark.browser
PASSWORD = "leeds counter 2030"


class RecordingRasa(FakeRasa):
    """Records alerts; closes like the real client when the server stops."""

    async def close(self) -> None:
        return None


class ServerThread:
    """The dashboard and store API on loopback, on an event loop of their own (Playwright's sync API owns this thread)."""

    def __init__(self, shop: Shop, rasa: Any) -> None:
        self.shop, self.rasa = shop, rasa
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.base_url = ""
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        # The whole bot server, as in production (its /site.css and /static too), with Rasa recorded.
        app = create_app(self.shop, name=f"dashboard_test_{uuid.uuid4().hex[:8]}", run_sweeper=False)

        @app.after_server_start
        async def attach(app: Sanic, _loop: object) -> None:
            await app.ctx.rasa.close()
            app.ctx.rasa = self.rasa

        listening = socket.socket()
        listening.bind(("127.0.0.1", 0))
        running = self.loop.run_until_complete(app.create_server(sock=listening, return_asyncio_server=True))
        for step in (running.startup, running.before_start, running.after_start):
            self.loop.run_until_complete(step())
        self.base_url = f"http://127.0.0.1:{running.server.sockets[0].getsockname()[1]}"
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(running.before_stop())
        running.close()
        self.loop.run_until_complete(running.wait_closed())
        self.loop.run_until_complete(running.after_stop())
        Sanic._app_registry.pop(app.name, None)

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        assert self.ready.wait(30), "the dashboard server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


@pytest.fixture
def dashboard(shop: Shop) -> Iterator[ServerThread]:
    seed_small_shop(shop)
    with shop.uow() as uow:
        uow.session.add_all(StoreHours(store_id="leeds", weekday=day, opens="09:00", closes="17:30") for day in range(7))
        uow.commit()
    shop.run(set_dashboard_password, "leeds", PASSWORD)
    with ServerThread(shop, RecordingRasa()) as server:
        yield server


def _wait_for(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_staff_sign_in_and_mark_an_order_ready(dashboard: ServerThread, browser: Browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shop = dashboard.shop
    placed = place(shop, "sms:+447700900123", {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms",
                   now=datetime.now(timezone.utc))
    york = place(shop, "web-y", {"JKT-NVY-M": 1}, store_id="york", payment_method="link")
    context = browser.new_context()
    page = context.new_page()

    page.goto(f"{dashboard.base_url}/store")
    expect(page).to_have_url(f"{dashboard.base_url}/store/login")
    page.select_option("#store", "leeds")
    page.fill("#password", "wrong password!")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_have_text("Wrong store or password.")

    page.select_option("#store", "leeds")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Fellside Leeds")
    row = page.locator(f"tr[data-order='{placed.reference}']")
    expect(row).to_contain_text("1 × Trail Jacket (Navy, M)")
    expect(page.get_by_test_id(f"status-{placed.reference}")).to_have_text("pending payment")
    expect(page.locator(f"tr[data-order='{york.reference}']")).to_have_count(0)  # another store's order

    session = next(c for c in context.cookies() if c["name"] == "store_session")
    assert session["httpOnly"] is True and session["sameSite"] == "Lax" and session["expires"] > time.time()

    page.get_by_test_id(f"ready-{placed.reference}").click()
    expect(page.locator("#notice")).to_have_text(f"{placed.reference} is marked ready; the shopper is being told.")
    expect(row).to_have_count(0)  # it left "To prepare" for "Ready"
    page.get_by_role("link", name="Ready 1").click()
    expect(page.get_by_test_id(f"status-{placed.reference}")).to_have_text("ready")
    page.screenshot(path=str(tmp_path / "dashboard.png"))

    assert shop.run(orders.order_status, placed.reference).status == "ready"
    assert [a.kind for a in shop.run(alert_timers, placed.reference)] == ["ready_alert", "pickup_reminder", "hold_ending"]
    _wait_for(lambda: shop.run(alert_timers, placed.reference)[0].state == "sent")
    [(sender, intent, entities, channel)] = dashboard.rasa.calls
    # The alert carries what it says, read when it was claimed (the conversation words it without re-reading).
    facts = json.loads(entities.pop("notice_facts"))
    assert (sender, intent, channel) == ("sms:+447700900123", "EXTERNAL_order_ready", "sms")
    assert entities == {"order_reference": placed.reference, "notice_key": f"ready_alert:{placed.reference}", "notice_attempt": "1"}
    assert (facts["reference"], facts["status"], facts["amount_due_minor"], facts["currency"]) == (placed.reference, "ready", 8999, "GBP")

    # Search by phone, then hand over with a wrong and then the right code.
    page.fill("#q", "07700 900123")
    page.click("form[role=search] button")
    expect(page.locator("h2").first).to_contain_text("Orders matching")
    page.fill(f"#code-{placed.reference}", "AAAAAA")
    page.get_by_test_id(f"collect-{placed.reference}").click()
    expect(page.locator("#notice")).to_have_text(f"That pickup code does not match {placed.reference}. Nothing changed.")
    assert shop.run(orders.order_status, placed.reference).status == "ready"
    page.fill(f"#code-{placed.reference}", placed.pickup_code.lower())
    page.get_by_test_id(f"collect-{placed.reference}").click()
    expect(page.get_by_test_id(f"status-{placed.reference}")).to_have_text("collected")
    assert shop.run(orders.order_status, placed.reference).status == "collected"

    # A post without the form's CSRF token changes nothing.
    forged = context.request.post(f"{dashboard.base_url}/store/orders/{york.reference}/ready", form={"csrf": "forged"})
    assert forged.status == 403

    page.click("text=Sign out")
    expect(page).to_have_url(f"{dashboard.base_url}/store/login")
    page.goto(f"{dashboard.base_url}/store")
    expect(page).to_have_url(f"{dashboard.base_url}/store/login")
    context.close()


def test_a_forged_or_stale_cookie_is_not_a_session(dashboard: ServerThread, browser: Browser) -> None:
    context = browser.new_context()
    host = dashboard.base_url.removeprefix("http://").split(":")[0]
    context.add_cookies([{"name": "store_session", "value": "eyJzIjoibGVlZHMifQ.deadbeef", "domain": host, "path": "/store"}])
    page = context.new_page()
    page.goto(f"{dashboard.base_url}/store")
    expect(page).to_have_url(f"{dashboard.base_url}/store/login")
    context.close()


def _sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/store/login")
    page.select_option("#store", "leeds")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Fellside Leeds")



def test_a_failed_sign_in_keeps_the_chosen_store(dashboard: ServerThread, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"{dashboard.base_url}/store/login")
    page.select_option("#store", "york")
    page.fill("#password", "wrong password!")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_have_text("Wrong store or password.")
    expect(page.locator("#store")).to_have_value("york")
    assert_accessible(page)
    page.close()


def test_tabs_customer_and_payment_columns_and_opted_out_alerts(dashboard: ServerThread, browser: Browser) -> None:
    shop = dashboard.shop
    now = datetime.now(timezone.utc)
    with shop.uow() as uow:
        customer = Customer(display_name="Jane Doe", phone="+447700900123")
        uow.session.add(customer)
        uow.session.flush()
        jane = int(customer.id)
        uow.commit()
    at_counter = place(shop, "sms:+447700900123", {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=now, customer_id=jane)
    by_link = place(shop, "web-00000000-0000-4000-8000-0000000000b1", {"JKT-NVY-M": 1}, now=now, contact_phone="+447700900456")
    cancelled = place(shop, "web-00000000-0000-4000-8000-0000000000b2", {"JKT-NVY-M": 1}, now=now, contact_phone=None)
    shop.run(orders.cancel_order, cancelled.reference, "changed mind", "shopper")
    opted = place(shop, "sms:+447700900999", {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=now, contact_phone="+447700900999")
    shop.run(opt_out, "+447700900999", "STOP")
    shop.run(mark_store_order_ready, "leeds", opted.reference, "test", None, AlertPolicy())
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    _sign_in(page, dashboard.base_url)
    expect(page.locator("nav.tabs a")).to_have_text(["To prepare 2", "Ready 1", "Collected 0", "Cancelled 1"])
    expect(page.locator(f"tr[data-order='{cancelled.reference}']")).to_have_count(0)  # not mixed in
    expect(page.get_by_test_id(f"customer-{at_counter.reference}")).to_have_text("Jane Doe · +447700900123")
    expect(page.get_by_test_id(f"payment-{at_counter.reference}")).to_have_text(f"Due at pickup {format_money(at_counter.total_minor, 'GBP')}")
    expect(page.get_by_test_id(f"payment-{by_link.reference}")).to_contain_text("Awaiting online payment")
    problems = page.locator("#alert-problems tbody tr").first
    expect(problems).to_contain_text(opted.reference)
    expect(problems.locator("td").nth(3)).to_have_text("none")  # was "0" beside a "next try" time
    expect(problems.locator("td").nth(4)).to_have_text("will not be retried")
    assert_accessible(page)
    page.get_by_role("link", name="Cancelled 1").click()
    expect(page.get_by_test_id(f"status-{cancelled.reference}")).to_have_text("cancelled")
    expect(page.get_by_test_id(f"customer-{cancelled.reference}")).to_have_text("not given")
    expect(page.locator(f"tr[data-order='{at_counter.reference}']")).to_have_count(0)
    page.close()


def test_phone_cards_fit_and_references_do_not_wrap(dashboard: ServerThread, browser: Browser) -> None:
    shop = dashboard.shop
    placed = [place(shop, f"sms:+4477009001{n:02d}", {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms",
                    now=datetime.now(timezone.utc)) for n in range(3)]
    page = browser.new_page(viewport={"width": 390, "height": 844})
    _sign_in(page, dashboard.base_url)
    expect(page.locator("#orders tbody tr")).to_have_count(3)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    button = page.get_by_test_id(f"ready-{placed[0].reference}").bounding_box()
    assert button is not None and button["x"] >= 0 and button["x"] + button["width"] <= 390
    # Lines each reference takes, measured on its text wherever it sits ("FS-/8QKWF9" took two).
    lines = page.evaluate(
        """() => [...document.querySelectorAll('#orders tbody tr')].map(row => {
             const walker = document.createTreeWalker(row.cells[0], NodeFilter.SHOW_TEXT), tops = new Set();
             for (let text = walker.nextNode(); text; text = walker.nextNode()) {
               const range = document.createRange(); range.selectNodeContents(text);
               [...range.getClientRects()].filter(r => r.width > 0).forEach(r => tops.add(Math.round(r.top)));
             }
             return tops.size })"""
    )
    assert lines == [1, 1, 1], lines
    assert_accessible(page)
    page.close()


def test_the_board_updates_without_a_reload(dashboard: ServerThread, browser: Browser) -> None:
    shop = dashboard.shop
    first = place(shop, "sms:+447700900201", {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=datetime.now(timezone.utc))
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    _sign_in(page, dashboard.base_url)
    expect(page.locator("#live")).to_have_text("Live")
    page.evaluate("window.__sameDocument = true")
    # A new order arrives from a chat, and a colleague marks the first one ready at another till.
    second = place(shop, "sms:+447700900202", {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=datetime.now(timezone.utc))
    expect(page.locator(f"tr[data-order='{second.reference}']")).to_have_count(1, timeout=10_000)
    shop.run(mark_store_order_ready, "leeds", first.reference, "test", None, AlertPolicy())
    expect(page.locator(f"tr[data-order='{first.reference}']")).to_have_count(0, timeout=10_000)
    expect(page.locator("nav.tabs a").nth(1)).to_have_text("Ready 1")
    assert page.evaluate("window.__sameDocument") is True
    page.close()


def test_an_update_waits_while_a_pickup_code_is_typed(dashboard: ServerThread, browser: Browser) -> None:
    shop = dashboard.shop
    ready = place(shop, "sms:+447700900301", {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=datetime.now(timezone.utc))
    shop.run(mark_store_order_ready, "leeds", ready.reference, "test", None, AlertPolicy())
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    _sign_in(page, dashboard.base_url)
    page.get_by_role("link", name="Ready 1").click()
    expect(page.locator("#live")).to_have_text("Live")
    page.fill(f"#code-{ready.reference}", "AB")
    place(shop, "sms:+447700900302", {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=datetime.now(timezone.utc))
    expect(page.locator("#board")).to_have_attribute("data-stale", "true", timeout=10_000)  # held back, not lost
    expect(page.locator(f"#code-{ready.reference}")).to_have_value("AB")
    page.locator("#q").focus()  # leaving the field lets the update in
    expect(page.locator("nav.tabs a").first).to_have_text("To prepare 1")
    expect(page.locator(f"#code-{ready.reference}")).to_have_value("AB")
    page.close()


def test_keyboard_only_staff_sign_in_and_mark_an_order_ready(dashboard: ServerThread, browser: Browser) -> None:
    shop = dashboard.shop
    placed = place(shop, "sms:+447700900123", {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms",
                   now=datetime.now(timezone.utc))
    page = browser.new_page()
    page.goto(f"{dashboard.base_url}/store/login")
    tab_to(page, "#store")
    for _ in range(10):  # choose the store with the arrow keys
        if page.eval_on_selector("#store", "s => s.value") == "leeds":
            break
        page.keyboard.press("ArrowDown")
    assert page.eval_on_selector("#store", "s => s.value") == "leeds"
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Fellside Leeds")
    tab_to(page, f"[data-testid='ready-{placed.reference}']")
    page.keyboard.press("Enter")
    expect(page.locator("#notice")).to_have_text(f"{placed.reference} is marked ready; the shopper is being told.")
    assert shop.run(orders.order_status, placed.reference).status == "ready"
