"""The web chat page in a real browser: a stock question gets the database's answer, and survives a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from bot.catalog.stock_replies import format_stock_answer
from bot.catalog.inventory import check_stock, set_on_hand

pytestmark = pytest.mark.browser


def test_stock_question_in_the_web_chat(assistant, browser: Browser, tmp_path) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "didsbury", "FS-BOOT-TRB-BRN-9", 4)
    expected = format_stock_answer(shop.run(check_stock, "FS-BOOT-TRB", "didsbury", "Brown", "9"))

    page = browser.new_page(viewport={"width": 390, "height": 780})  # a phone-sized screen
    page.goto(f"{stack.bot_url}/chat")
    expect(page.locator("#status")).to_have_text("online", timeout=15_000)
    page.fill("#text", "do you have the trailblazer boots in brown size 9 at didsbury?")
    page.press("#text", "Enter")

    bot_lines = page.locator(".msg--bot .msg__text")
    expect(bot_lines.last).to_have_text(expected, timeout=30_000)
    page.screenshot(path=str(tmp_path / "webchat.png"))

    # The conversation is kept across a reload: both lines come back from the server.
    page.reload()
    expect(page.locator(".msg--user .msg__text").first).to_have_text(
        "do you have the trailblazer boots in brown size 9 at didsbury?", timeout=15_000
    )
    expect(page.locator(".msg--bot .msg__text").last).to_have_text(expected)
    page.close()


def test_buttons_answer_the_forms_question(assistant, browser: Browser) -> None:
    stack, shop = assistant
    page = browser.new_page()
    page.goto(f"{stack.bot_url}/chat")
    expect(page.locator("#status")).to_have_text("online", timeout=15_000)
    page.fill("#text", "is the kinder fleece in stock at arndale")
    page.press("#text", "Enter")
    # The question's own message, not "the last one": the size question may already follow the click.
    navy = page.locator(".msg--bot", has_text="Which colour").get_by_role("button", name="Navy")
    expect(navy).to_be_visible(timeout=30_000)
    navy.click()
    # The colour question is answered: none of its buttons can be pressed again.
    expect(navy).to_be_disabled()
    expect(navy).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Grey")).to_be_disabled()
    medium = page.locator(".msg--bot", has_text="What size").get_by_role("button", name="M", exact=True)
    expect(medium).to_be_visible(timeout=30_000)
    medium.click()
    expected = format_stock_answer(shop.run(check_stock, "FS-FLC-KIN", "arndale", "Navy", "M"))
    expect(page.locator(".msg--bot .msg__text").last).to_have_text(expected, timeout=30_000)
    page.close()
