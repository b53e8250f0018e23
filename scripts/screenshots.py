"""Current screenshots of every page at desktop (1280x800) and phone (390x844) size: `make screenshots`.

Serves the real bot server on loopback over a throwaway SQLite database with the demo catalogue and a
few shoppers, orders and handoffs, with Rasa replaced by a stand-in that only records (no page shown
here needs the assistant to answer). Drives Debian's Chromium with Playwright and writes
docs/screenshots/<page>-<size>.png. Prints one line per file as it goes.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import socket
import sys
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright
from sanic import Sanic

from bot.kernel.config import PROJECT_ROOT, Settings
from bot.kernel.db import build_engine
from bot.kernel.models import Base
from bot.payments import build_provider
from bot.server.app import create_app
from bot.handoff import sessions as handoff
from bot.handoff import states
from bot.handoff.agents import create_agent
from bot.ordering.cart import add_to_cart
from bot.identity.customers import link_conversation_to_phone
from bot.catalog.inventory import set_on_hand
from bot.ordering.placing import place_order
from bot.ordering.pay_links import create_payment_link
from bot.catalog.seed import load_catalog
from bot.identity.store_access import set_dashboard_password
from bot.store_operations.store_orders import mark_store_order_ready
from bot.ordering.pickup_alerts import AlertPolicy
from bot.messaging.transcript import record_message
from bot.kernel.shop import Shop
from scripts.retailer_page import retailer_page

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "screenshots only"
WEB = "web-5c7a6b1e-0000-4000-8000-00000000d0c5"


class QuietAssistant:
    """Stands in for Rasa: the pages shown need no answer from it."""

    async def pause_conversation(self, conversation_id: str, metadata: dict | None = None) -> dict:
        return {}

    async def resume_conversation(self, conversation_id: str) -> dict:
        return {}

    async def trigger_intent(self, *args: Any, **kwargs: Any) -> dict:
        return {}

    async def close(self) -> None:
        return None


def seed(shop: Shop) -> dict[str, str]:
    """Demo catalogue, an agent, a store password, and the shoppers the pages show."""
    shop.run(load_catalog, shop.settings.catalog_dir)
    shop.run(create_agent, "sam", "Sam Taylor", PASSWORD)
    shop.run(set_dashboard_password, "didsbury", PASSWORD)
    shop.run(set_on_hand, "didsbury", "FS-BOOT-TRB-BRN-9", 12)
    now = datetime.now(timezone.utc)
    lines = [
        ("user", "do you have the trailblazer boots in brown size 9 at didsbury?"),
        ("bot", "Yes: Didsbury has 4 of the Trailblazer Boots (Brown, 9) at £89.99."),
        ("user", "reserve 1 and can i pay by link"),
        ("bot", "Reserved 1 × Trailblazer Boots (Brown, 9) at Didsbury. Pay £89.99 by link to confirm."),
        ("user", "can i talk to a real person about the sizing?"),
        ("bot", "I'm getting a person for you."),
    ]
    for author, text in lines:
        shop.run(record_message, WEB, "webchat", author, text)
    with shop.uow() as uow:
        link_conversation_to_phone(uow.session, WEB, "+447700900123", now)
        uow.commit()
    shop.run(add_to_cart, WEB, "FS-BOOT-TRB-BRN-9", 1)
    paid_by_link = shop.run(place_order, WEB, "web", "didsbury", "link", contact_phone="+447700900123", now=now)
    link = shop.run(create_payment_link, build_provider(shop.settings, "sandbox"), paid_by_link.reference, now)
    shop.run(handoff.request_handoff, WEB, "webchat", states.ASKED_FOR_PERSON, now=now - timedelta(minutes=2))
    for number, (text, minutes) in enumerate((("is the arndale store open on boxing day", 5), ("my order never came", 9))):
        conversation = f"sms:+44770090{number + 200:04d}"
        shop.run(record_message, conversation, "sms", "user", text)
        shop.run(handoff.leave_message, conversation, "sms", now=now - timedelta(minutes=minutes))
    for number in range(3):
        conversation = f"sms:+44770090{number + 300:04d}"
        shop.run(add_to_cart, conversation, "FS-BOOT-TRB-BRN-9", 1)
        order = shop.run(place_order, conversation, "sms", "didsbury", "at_pickup", contact_phone=conversation[4:], now=now)
        if number == 0:
            shop.run(mark_store_order_ready, "didsbury", order.reference, "screenshots", None, AlertPolicy())
    return {"pay_url": link.url}


def serve(shop: Shop) -> tuple[str, asyncio.AbstractEventLoop, threading.Event]:
    """Starts the app on a free loopback port in a thread; returns its URL, its loop and a stop event."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    loop = asyncio.new_event_loop()
    started, stop = threading.Event(), threading.Event()
    app = create_app(shop, name="screenshots", run_sweeper=False)

    @app.after_server_start
    async def quiet_rasa(app: Sanic, _loop: object) -> None:
        await app.ctx.rasa.close()
        app.ctx.rasa = QuietAssistant()

    async def main() -> None:
        running = await app.create_server(sock=listening, return_asyncio_server=True)
        for step in (running.startup, running.before_start, running.after_start):
            await step()
        started.set()
        while not stop.is_set():
            await asyncio.sleep(0.2)
        await running.before_stop()
        running.close()
        await running.wait_closed()

    threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True).start()
    if not started.wait(60):
        raise SystemExit("the bot server did not start")
    return f"http://127.0.0.1:{port}", loop, stop


def shoot(page: Page, out: Path, name: str, size: str) -> None:
    path = out / f"{name}-{size}.png"
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path))
    print(f"  wrote {path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path}", flush=True)


def take_all(base: str, pay_url: str, retailer: str, out: Path) -> None:
    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("Debian's chromium is not installed (make browser installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport)
            context.add_init_script(f"localStorage.setItem('fellside.conversation', '{WEB}')")
            page = context.new_page()
            page.goto(f"{base}/chat")
            page.locator(".msg").first.wait_for()
            shoot(page, out, "chat", size)
            page.goto(pay_url)
            shoot(page, out, "pay", size)
            # The widget on a retailer's own page: one script tag, a launcher, the chat in a panel.
            page.goto(retailer)
            page.locator(".shopchat-launcher").click()
            page.frame_locator("#shopchat-panel").locator(".msg").first.wait_for()
            shoot(page, out, "widget", size)

            page.goto(f"{base}/console/login")
            shoot(page, out, "console-login", size)
            page.fill("#username", "sam")
            page.fill("#password", PASSWORD)
            page.click("#login")
            page.locator("#queue li").first.wait_for()
            if size == "phone":
                shoot(page, out, "console-list", size)
            page.locator("#queue li").first.locator("button").click()
            page.locator("#transcript .line").first.wait_for()
            shoot(page, out, "console", size)

            page.goto(f"{base}/store/login")
            page.select_option("#store", "didsbury")
            shoot(page, out, "store-login", size)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.locator("#board").wait_for()
            shoot(page, out, "store-dashboard", size)
            context.close()
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(PROJECT_ROOT / "docs" / "screenshots"), help="folder for the PNG files")
    out = Path(parser.parse_args(argv).out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'screenshots.db'}"
        engine = build_engine(url)
        Base.metadata.create_all(engine)
        settings = Settings(database_url=url, session_secret=secrets.token_hex(32), sandbox_webhook_secret=secrets.token_hex(16),
                            rasa_token=secrets.token_hex(8), rasa_url="http://127.0.0.1:9")
        shop = Shop(settings, engine=engine)
        print("seeding a throwaway database...", flush=True)
        seeded = seed(shop)
        base, _loop, stop = serve(shop)
        # The pay link names the configured public URL; the page itself is served here.
        pay_url = base + seeded["pay_url"].split("://", 1)[1].partition("/")[1] + seeded["pay_url"].split("://", 1)[1].partition("/")[2]
        print(f"serving at {base}; taking screenshots...", flush=True)
        try:
            with retailer_page(base) as retailer:
                take_all(base, pay_url, retailer, out)
        finally:
            stop.set()
            shop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
