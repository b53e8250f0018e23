"""The console's funnel page in headless Chromium: an agent follows the Funnel link and reads today's
figures, a bar per stage and day, and the same figures as a table; axe-core at desktop and phone size."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from bot.funnel.facts import facts_of, handoff_key, tag
from bot.funnel.figures import record_facts
from bot.kernel.shop import Shop
from tests.browser.test_console_page import DESKTOP, PHONE, log_in
from tests.support.accessibility import assert_accessible
from tests.support.threaded_server import ServerThread

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")


def count_events(shop: Shop, moment: datetime, shoppers: int, asked: int, added: int, ordered: int, paid: int, handed: int) -> None:
    """Rasa's events of `shoppers` conversations at `moment`, counted as the consumer counts them."""
    events = []
    for number in range(shoppers):
        sender = f"web-{moment:%m%d}-{number}"
        when = moment.timestamp() + number
        events.append({"sender_id": sender, "event": "user", "timestamp": when, "text": "hi", "parse_data": {"intent": {"name": "greet"}}})
        tags = []
        if number < asked:
            tags.append(tag("stock_questions", f"{sender}|m1|stock#1"))
        if number < added:
            tags.append(tag("basket_adds", f"{sender}|m2|add#1"))
        if number < ordered:
            tags.append(tag("orders_placed", f"FS-{moment:%m%d}{number:02d}"))
        if number < handed:
            tags.append(tag("handoffs", handoff_key(int(f"{moment:%m%d}{number:02d}"))))
        events.append({"sender_id": sender, "event": "bot", "timestamp": when + 0.5, "text": "ok", "metadata": {"funnel": tags}})
        if number < paid:
            events.append({"sender_id": sender, "event": "user", "timestamp": when + 0.7, "parse_data": {
                "intent": {"name": "EXTERNAL_payment_received"}, "entities": [{"entity": "order_reference", "value": f"FS-{moment:%m%d}{number:02d}"}]}})
    for event in events:
        facts = facts_of(event, LONDON)
        if facts:
            shop.run(record_facts, facts)


def test_an_agent_reads_the_funnel_per_day_as_a_chart_and_a_table(console: ServerThread, shop: Shop, browser: Browser) -> None:
    today = datetime.now(LONDON).replace(hour=0, minute=30, second=0, microsecond=0)  # early today, London time
    count_events(shop, today, shoppers=12, asked=9, added=6, ordered=4, paid=3, handed=2)
    count_events(shop, today - timedelta(days=2), shoppers=5, asked=5, added=2, ordered=1, paid=1, handed=0)
    page = browser.new_page(viewport=DESKTOP)
    try:
        log_in(page, console.base_url)
        page.click("#funnel-link")
        expect(page).to_have_url(f"{console.base_url}/console/funnel")
        today_figures = {stage: page.locator(f"#today-{stage} .figure__value") for stage in (
            "conversations", "stock_questions", "basket_adds", "orders_placed", "payments_received", "handoffs")}
        expect(today_figures["conversations"]).to_have_text("12")
        for stage, value in (("stock_questions", "9"), ("basket_adds", "6"), ("orders_placed", "4"), ("payments_received", "3"), ("handoffs", "2")):
            expect(today_figures[stage]).to_have_text(value)
        expect(page.locator("#today-basket_adds")).to_contain_text("Basket adds")
        # The table: seven days, newest first, every stage a column; two days ago reads as counted.
        rows = page.locator("#funnel-rows tr")
        expect(rows).to_have_count(7)
        two_days_ago = (today - timedelta(days=2)).date().isoformat()
        assert [cell.inner_text() for cell in page.locator(f'#funnel-rows tr[data-day="{two_days_ago}"] td').all()] == ["5", "5", "2", "1", "1", "0"]
        assert [cell.inner_text() for cell in rows.first.locator("td").all()] == ["12", "9", "6", "4", "3", "2"]
        assert page.locator("#funnel-head th").all_inner_texts() == [
            "Day", "Conversations", "Stock questions", "Basket adds", "Orders placed", "Payments received", "Handoffs"]
        # The chart: a bar per stage and day, tallest for today's conversations; a legend names the colours.
        bars = page.locator("#funnel-chart svg rect")
        expect(bars).to_have_count(7 * 6)
        heights = {cls: float(page.locator(f"#funnel-chart rect.bar--{cls}").last.get_attribute("height") or 0)
                   for cls in ("conversations", "stock_questions", "handoffs")}
        assert heights["conversations"] > heights["stock_questions"] > heights["handoffs"] > 0
        expect(page.locator("#funnel-chart svg")).to_have_attribute("role", "img")
        expect(page.locator("#funnel-legend")).to_contain_text("Payments received")
        expect(page.locator("#funnel-freshness")).to_contain_text("Last counted")
        assert_accessible(page)
    finally:
        page.close()


def test_the_funnel_page_fits_a_phone_and_says_when_nothing_is_counted(console: ServerThread, browser: Browser) -> None:
    page = browser.new_page(viewport=PHONE)
    try:
        log_in(page, console.base_url)
        page.goto(f"{console.base_url}/console/funnel")
        expect(page.locator("#funnel-freshness")).to_have_text("Nothing counted yet.")
        expect(page.locator("#today-conversations .figure__value")).to_have_text("0")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
        assert_accessible(page)
    finally:
        page.close()


def test_without_a_login_the_funnel_is_not_shown(console: ServerThread, browser: Browser) -> None:
    page = browser.new_page(viewport=DESKTOP)
    try:
        page.goto(f"{console.base_url}/console/funnel")
        expect(page).to_have_url(f"{console.base_url}/console/login")
        reply = page.request.get(f"{console.base_url}/console/api/funnel")
        assert reply.status == 401
    finally:
        page.close()
