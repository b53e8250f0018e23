"""The agent console page in headless Chromium, served by the real bot server (Rasa replaced by a recorder):
the figures agents read, a layout that keeps the reply box in view, the phone's two views, search,
unread counts, alerts, and axe-core at desktop and phone size."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from bot.kernel.models import ChatMessage
from bot.handoff import sessions as handoff
from bot.handoff import states
from bot.handoff.agents import create_agent
from bot.identity.customers import link_conversation_to_phone
from bot.messaging.transcript import record_message
from bot.kernel.shop import Shop
from tests.support.accessibility import assert_accessible
from tests.bot.factories import place, seed_small_shop
from tests.browser.conftest import PASSWORD
from tests.support.threaded_server import ServerThread

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def log_in(page: Page, base_url: str, *, check_login_page: bool = False) -> None:
    page.goto(f"{base_url}/console/login")
    if check_login_page:
        assert_accessible(page)
    page.fill("#username", "sam")
    page.fill("#password", PASSWORD)
    page.click("#login")
    expect(page.locator("#me")).to_have_text("Sam Taylor")



def chat(shop: Shop, conversation_id: str, channel: str, lines: int) -> None:
    for number in range(lines):
        shop.run(record_message, conversation_id, channel, "user", f"question {number} about my order")
        shop.run(record_message, conversation_id, channel, "bot", f"answer {number}: here is what I know")


def test_figures_count_left_messages_and_real_waits(console: ServerThread, shop: Shop, browser: Browser) -> None:
    now = datetime.now(timezone.utc)
    shop.run(record_message, "telegram:42", "telegram", "user", "please call me back about my boots")
    shop.run(record_message, "sms:+447700900555", "sms", "user", "is anyone there")
    shop.run(handoff.leave_message, "telegram:42", "telegram", now=now - timedelta(minutes=2))
    shop.run(handoff.leave_message, "sms:+447700900555", "sms", now=now - timedelta(minutes=3))
    # Kim takes over a live conversation nobody queued for: no wait to count.
    shop.run(record_message, "sms:+447700900777", "sms", "user", "hello")
    kim = shop.run(create_agent, "kim2", "Kim Two", PASSWORD)
    shop.run(handoff.take_conversation, kim.id, conversation_id="sms:+447700900777", channel="sms")
    page = browser.new_page(viewport=DESKTOP)
    try:
        log_in(page, console.base_url)
        expect(page.locator("#fig-waiting")).to_have_text("2")  # both left messages wait for an answer
        expect(page.locator("#fig-waiting-note")).to_have_text("2 messages")
        message_card = page.locator("#queue .queue-item--message").first
        expect(message_card).to_be_visible()
        for card in page.locator("#queue .queue-item--message").all():
            assert card.inner_text().count("left a message") == 1, card.inner_text()
        taken_over = page.locator("#queue .queue-item--active")
        expect(taken_over).to_contain_text("taken over by an agent")
        expect(taken_over).not_to_contain_text("waited")

        page.locator("#queue .queue-item--message", has_text="please call me back").locator("button").click()
        page.click("#take")
        expect(page.locator("#state")).to_have_text("active", timeout=15_000)
        mine = page.locator("#queue .queue-item--active", has_text="please call me back")
        expect(mine).to_contain_text("waited 2 min")
        expect(page.locator("#fig-median")).to_have_text("2 min")
        expect(page.locator("#fig-waiting")).to_have_text("1")
    finally:
        page.close()


def test_desktop_layout_scrolls_lists_and_transcript_not_the_page(console: ServerThread, shop: Shop, browser: Browser) -> None:
    seed_small_shop(shop)
    web = "web-00000000-0000-4000-8000-00000000c63b"
    chat(shop, web, "webchat", 30)
    with shop.uow() as uow:  # the first line was written at 00:39 UTC on a summer night: 01:39 in London
        first = uow.session.scalars(ChatMessage.__table__.select().with_only_columns(ChatMessage.id).where(ChatMessage.conversation_id == web).limit(1)).first()
        uow.session.execute(update(ChatMessage).where(ChatMessage.id == first).values(created_at=datetime(2026, 7, 1, 0, 39)))
        link_conversation_to_phone(uow.session, web, "+447700900123", datetime.now(timezone.utc))
        uow.commit()
    for number in range(25):
        other = f"sms:+4477009{number:05d}"
        shop.run(record_message, other, "sms", "user", "hi")
        shop.run(handoff.request_handoff, other, "sms", states.ASKED_FOR_PERSON)
    shop.run(handoff.request_handoff, web, "webchat", states.ASKED_FOR_PERSON)
    page = browser.new_page(viewport=DESKTOP)
    try:
        log_in(page, console.base_url, check_login_page=True)
        card = page.locator("#queue li", has_text="+447700900123")
        expect(card).to_have_count(1)  # the linked phone, not "web visitor 00000000"
        card.locator("button").click()
        page.click("#take")
        expect(page.locator("#state")).to_have_text("active", timeout=15_000)
        expect(page.locator("#transcript .line--note .line__text")).to_have_text(["Sam Taylor joined the chat"])
        expect(page.locator("#transcript .line:not(.line--note)")).to_have_count(60)
        geometry = page.evaluate(
            """() => {
              const box = (id) => document.getElementById(id).getBoundingClientRect();
              const lists = document.querySelector('.side__lists'), transcript = document.getElementById('transcript');
              return {page: document.scrollingElement.scrollHeight, view: innerHeight, reply: box('reply-text').bottom,
                      send: box('send').bottom, transcriptScrolls: transcript.scrollHeight > transcript.clientHeight,
                      listScrolls: lists.scrollHeight > lists.clientHeight, atEnd: transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight}
            }"""
        )
        assert geometry["page"] <= geometry["view"], geometry  # the page itself does not scroll
        assert geometry["reply"] <= geometry["view"] and geometry["send"] <= geometry["view"], geometry
        assert geometry["transcriptScrolls"] and geometry["listScrolls"], geometry
        assert geometry["atEnd"] < 5, geometry  # opened at the newest line
        stamps = page.locator("#transcript .line__meta").all_inner_texts()
        assert stamps[0] == "Shopper · 1 Jul 01:39", stamps[0]
        assert all("AM" not in s and "PM" not in s for s in stamps)
        page.fill("#reply-text", "Hello from Sam")
        page.press("#reply-text", "Enter")
        expect(page.locator("#transcript .line--agent .line__text").last).to_have_text("Hello from Sam")
        assert_accessible(page)
    finally:
        page.close()


def test_phone_shows_the_list_then_the_conversation(console: ServerThread, shop: Shop, browser: Browser) -> None:
    for number in range(17):
        other = f"sms:+4477009{number:05d}"
        chat(shop, other, "sms", 2)
        shop.run(handoff.request_handoff, other, "sms", states.ASKED_FOR_PERSON)
    page = browser.new_page(viewport=PHONE)
    try:
        log_in(page, console.base_url, check_login_page=True)
        expect(page.locator("#queue li")).to_have_count(17)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
        assert_accessible(page)
        page.locator("#queue li").nth(16).locator("button").click()
        expect(page.locator("#conversation")).to_be_visible()
        expect(page.locator("#queue")).to_be_hidden()
        page.click("#take")
        expect(page.locator("#state")).to_have_text("active", timeout=15_000)
        reply = page.locator("#reply-text").bounding_box()
        assert reply is not None and reply["y"] + reply["height"] <= PHONE["height"]
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
        assert_accessible(page)
        page.click("#back")
        expect(page.locator("#queue")).to_be_visible()
        expect(page.locator("#conversation")).to_be_hidden()
    finally:
        page.close()


def test_search_unread_counts_and_opt_in_alerts(console: ServerThread, shop: Shop, browser: Browser) -> None:
    seed_small_shop(shop)
    old_web = "web-00000000-0000-4000-8000-0000000000aa"
    shop.run(record_message, old_web, "webchat", "user", "I ordered a jacket last week")
    order = place(shop, old_web, {"JKT-NVY-M": 1}, contact_phone="+447700900321")
    with shop.uow() as uow:  # spoke days ago: not in the live list, found only by searching
        uow.session.execute(update(ChatMessage).where(ChatMessage.conversation_id == old_web).values(created_at=datetime(2026, 1, 2, 10, 0)))
        uow.commit()
    shop.run(record_message, "sms:+447700900444", "sms", "user", "just browsing")
    shop.run(record_message, "telegram:9", "telegram", "user", "hello?")
    shop.run(handoff.request_handoff, "telegram:9", "telegram", states.ASKED_FOR_PERSON)
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["notifications"])
    # Record notifications and tones instead of showing and playing them.
    context.add_init_script(
        """
        window.__notes = []; window.__tones = 0;
        window.Notification = class { constructor(title, options) { window.__notes.push([title, options.body]); }
          static get permission() { return 'granted'; } static requestPermission() { return Promise.resolve('granted'); } };
        const Real = window.AudioContext;
        window.AudioContext = class extends Real { createOscillator() { window.__tones += 1; return super.createOscillator(); } };
        """
    )
    page = context.new_page()
    try:
        log_in(page, console.base_url)
        waiting = page.locator("#queue li", has_text="hello?")
        expect(waiting.locator(".unread")).to_have_text("1")
        browsing = page.locator("#live li", has_text="just browsing")
        expect(browsing).to_have_count(1)
        expect(browsing.locator(".unread")).to_have_count(0)  # nobody asked for a person: not "unread"
        for query in (order.reference, "07700 900321", order.reference.lower()[-4:]):
            page.fill("#search", query)
            expect(page.locator("#results li")).to_have_count(1)
            expect(page.locator("#results li")).to_contain_text("+447700900321")
        page.fill("#search", "nobody by this name")
        expect(page.locator("#results-empty")).to_be_visible()
        page.fill("#search", "")
        expect(page.locator("#queue")).to_be_visible()

        waiting.locator("button").click()
        expect(page.locator("#transcript .line")).to_have_count(1)
        expect(waiting.locator(".unread")).to_have_count(0)

        # Alerts are off until the agent turns them on: a newcomer then rings and shows a notification.
        shop.run(record_message, "telegram:10", "telegram", "user", "first newcomer")
        shop.run(handoff.request_handoff, "telegram:10", "telegram", states.ASKED_FOR_PERSON)
        expect(page.locator("#queue li", has_text="first newcomer")).to_have_count(1)
        assert page.evaluate("[window.__notes.length, window.__tones]") == [0, 0]
        page.click("#alerts")
        expect(page.locator("#alerts")).to_have_attribute("aria-pressed", "true")
        shop.run(record_message, "telegram:11", "telegram", "user", "second newcomer")
        shop.run(handoff.request_handoff, "telegram:11", "telegram", states.ASKED_FOR_PERSON)
        expect(page.locator("#queue li", has_text="second newcomer")).to_have_count(1)
        page.wait_for_function("window.__notes.length === 1")
        assert page.evaluate("window.__notes")[0][0] == "Shopper waiting: 11"
        assert page.evaluate("window.__tones") == 1
        expect(page).to_have_title("(3) Agent console")
    finally:
        context.close()


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Presses Tab until `selector` has the focus, as a keyboard-only agent would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement && document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_agent_takes_and_answers(console: ServerThread, shop: Shop, browser: Browser) -> None:
    shop.run(record_message, "telegram:5", "telegram", "user", "can someone help")
    shop.run(handoff.request_handoff, "telegram:5", "telegram", states.ASKED_FOR_PERSON)
    page = browser.new_page(viewport=PHONE)
    try:
        log_in(page, console.base_url)
        expect(page.locator("#queue li")).to_have_count(1)
        page.locator("body").focus()
        tab_to(page, "#queue .queue-item__open")
        page.keyboard.press("Enter")
        expect(page.locator("#conversation")).to_be_visible()
        tab_to(page, "#take")
        page.keyboard.press("Enter")
        expect(page.locator("#state")).to_have_text("active", timeout=15_000)
        expect(page.locator("#reply-text")).to_be_focused()  # taking puts the cursor in the reply box
        page.keyboard.type("Hello, Sam here")
        page.keyboard.press("Enter")
        expect(page.locator("#transcript .line--agent .line__text").last).to_have_text("Hello, Sam here")
        tab_to(page, "#back")
        page.keyboard.press("Enter")
        expect(page.locator("#queue .queue-item__open")).to_be_focused()
    finally:
        page.close()
