"""The web chat as a shopper meets it: greeting and starters, a line typed offline, a failed send and its
retry, answered buttons that stop working, times, no broken requests, and axe at phone and desktop size."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.catalog.stock_replies import format_stock_answer
from bot.catalog.inventory import check_stock, set_on_hand
from tests.support.accessibility import assert_accessible

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
BOOTS_AT_DIDSBURY = "do you have the trailblazer boots in brown size 9 at didsbury?"


def open_chat(browser: Browser, base_url: str, viewport: dict = PHONE) -> tuple[Page, list[str]]:
    """A fresh shopper (own storage) on /chat, online; also returns every 4xx/5xx the page met."""
    page = browser.new_context(viewport=viewport).new_page()
    broken: list[str] = []
    page.on("response", lambda response: broken.append(f"{response.status} {response.url}") if response.status >= 400 else None)
    page.goto(f"{base_url}/chat")
    expect(page.locator("#status")).to_have_text("online", timeout=15_000)
    return page, broken


def test_first_open_greets_and_offers_starter_choices(assistant, browser: Browser) -> None:
    stack, _ = assistant
    page, broken = open_chat(browser, stack.bot_url)
    welcome = page.locator(".msg--welcome")
    expect(welcome).to_contain_text("Hi! I'm the Fellside Outfitters assistant")
    starters = welcome.get_by_role("button")
    expect(starters).to_have_text(["Check stock", "Track my order", "Store opening hours", "Talk to a person"])
    assert_accessible(page)

    welcome.get_by_role("button", name="Store opening hours").click()
    expect(page.locator(".msg--user .msg__text").last).to_have_text("Store opening hours")
    which = page.locator(".msg--bot").last
    expect(which).to_contain_text("Which store?", timeout=60_000)  # the package's first turn also warms Rasa up
    # The greeting's question is answered: its buttons no longer send anything.
    for index in range(4):
        expect(starters.nth(index)).to_be_disabled()
    expect(which.get_by_role("button", name="Didsbury")).to_be_enabled()
    # Times are 24-hour clock times (the store's zone), and nothing the page loaded failed (favicon included).
    for time in page.locator(".msg__time").all_inner_texts():
        assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", time), time
    assert page.request.get(f"{stack.bot_url}/favicon.ico").ok
    assert broken == []
    page.set_viewport_size(DESKTOP)
    assert_accessible(page)
    page.context.close()


def test_a_line_typed_offline_shows_at_once_and_goes_out_on_reconnect(assistant, browser: Browser) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "didsbury", "FS-BOOT-TRB-BRN-9", 3)
    expected = format_stock_answer(shop.run(check_stock, "FS-BOOT-TRB", "didsbury", "Brown", "9"))
    page, _ = open_chat(browser, stack.bot_url)

    page.context.set_offline(True)
    page.fill("#text", BOOTS_AT_DIDSBURY)
    page.press("#text", "Enter")
    mine = page.locator(".msg--user").last
    expect(mine.locator(".msg__text")).to_have_text(BOOTS_AT_DIDSBURY)
    expect(mine).to_have_attribute("data-state", "queued")
    expect(mine).to_contain_text("Not sent yet")
    expect(mine.get_by_role("button", name="Retry")).to_be_visible()
    expect(page.locator("#status")).to_have_text("offline, retrying…")

    page.context.set_offline(False)
    expect(mine).to_have_attribute("data-state", "sent", timeout=30_000)
    expect(mine.get_by_role("button", name="Retry")).to_be_hidden()
    expect(page.locator("#status")).to_have_text("online", timeout=15_000)
    expect(page.locator(".msg--bot .msg__text").last).to_have_text(expected, timeout=30_000)

    # Sent once: a reload shows the line once, from the server.
    page.reload()
    expect(page.locator(".msg--bot .msg__text").last).to_have_text(expected, timeout=15_000)
    expect(page.locator(".msg--user .msg__text", has_text=BOOTS_AT_DIDSBURY)).to_have_count(1)
    page.context.close()


def test_a_refused_send_is_marked_and_retried_by_the_shopper(assistant, browser: Browser) -> None:
    stack, _ = assistant
    page, _ = open_chat(browser, stack.bot_url)
    page.route("**/chat/api/messages", lambda route: route.fulfill(status=500, body="{}"))
    page.fill("#text", "when does stockport close on sunday")
    page.press("#text", "Enter")
    mine = page.locator(".msg--user").last
    expect(mine).to_have_attribute("data-state", "failed")
    expect(mine).to_contain_text("Not sent")
    page.unroute("**/chat/api/messages")
    mine.get_by_role("button", name="Retry").click()
    expect(mine).to_have_attribute("data-state", "sent", timeout=30_000)
    expect(page.locator(".msg--bot .msg__text").last).to_contain_text("Stockport", timeout=30_000)
    page.context.close()


def test_out_of_stock_answer_says_what_the_numbers_mean_and_offers_buttons(assistant, browser: Browser) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "arndale", "FS-BOOT-TRB-BRN-9", 0)
    shop.run(set_on_hand, "didsbury", "FS-BOOT-TRB-BRN-9", 2)
    page, _ = open_chat(browser, stack.bot_url)
    page.fill("#text", "do you have the trailblazer boots in brown size 9 at arndale?")
    page.press("#text", "Enter")
    answer = page.locator(".msg--bot").last
    expect(answer).to_contain_text("Didsbury has 2 in stock, ", timeout=30_000)
    expect(answer.locator(".msg__text")).to_contain_text(re.compile(r"\d+ in stock, \d+\.\d km away"))
    expect(answer.get_by_role("button", name="Reserve at Didsbury")).to_be_enabled()
    page.context.close()


def test_a_stock_answer_shows_a_product_card_with_reserve(assistant, browser: Browser) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "didsbury", "FS-BOOT-TRB-BRN-9", 3)
    page, _ = open_chat(browser, stack.bot_url)
    page.fill("#text", BOOTS_AT_DIDSBURY)
    page.press("#text", "Enter")
    card = page.locator(".msg--bot .product").last
    expect(card.locator(".product__name")).to_have_text("Trailblazer Waterproof Hiking Boot (brown, UK 9)", timeout=30_000)
    expect(card.locator(".product__price")).to_have_text("£89.99")
    expect(card.locator(".product__meta")).to_have_text("3 in stock at Didsbury")
    # The card's Reserve is the answer's own choice (not repeated under the card), and it works.
    expect(page.locator(".msg--bot").last.get_by_role("button", name="Reserve it")).to_have_count(1)
    card.get_by_role("button", name="Reserve it").click()
    expect(page.locator(".msg--bot .msg__text").last).to_contain_text("Added. Your basket", timeout=30_000)
    expect(card.get_by_role("button", name="Reserve it")).to_be_disabled()
    assert_accessible(page)
    page.context.close()


def test_keyboard_only(assistant, browser: Browser) -> None:
    stack, _ = assistant
    page, _ = open_chat(browser, stack.bot_url)
    # The message box has the focus on arrival; the offered choices are one Shift+Tab away and Enter picks one.
    assert page.evaluate("() => document.activeElement.id") == "text"
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate("() => document.activeElement.textContent")
    assert focused == "Talk to a person"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--user .msg__text").last).to_have_text("Store opening hours")
    expect(page.locator(".msg--bot").last).to_contain_text("Which store?", timeout=30_000)
    # Back in the box, typing and Enter sends.
    page.locator("#text").focus()
    page.keyboard.type("when does stockport close on sunday")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--user .msg__text").last).to_have_text("when does stockport close on sunday")
    page.context.close()
