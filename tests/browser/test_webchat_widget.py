"""The embeddable chat: one <script> tag on a retailer's own page (another origin) gives a launcher bubble
that opens the chat; the shopper chats through it, closes it, and finds the conversation again."""

from __future__ import annotations

from typing import Iterator

import pytest
from playwright.sync_api import Browser, expect

from bot.catalog.stock_replies import format_stock_answer
from bot.catalog.inventory import check_stock, set_on_hand
from scripts.retailer_page import retailer_page
from tests.support.accessibility import assert_accessible

pytestmark = pytest.mark.browser

BOOTS = "do you have the trailblazer boots in brown size 9 at didsbury?"


@pytest.fixture(scope="module")
def retailer_site(assistant) -> Iterator[str]:
    """The retailer's own site: another origin (its own port), serving a page with the widget's one tag."""
    stack, _ = assistant
    with retailer_page(stack.bot_url) as url:
        yield url


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_one_script_tag_gives_a_launcher_that_opens_the_chat(
    assistant, retailer_site: str, browser: Browser, viewport: dict, tmp_path
) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "didsbury", "FS-BOOT-TRB-BRN-9", 4)
    expected = format_stock_answer(shop.run(check_stock, "FS-BOOT-TRB", "didsbury", "Brown", "9"))
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(retailer_site)
    assert not retailer_site.startswith(stack.bot_url)
    launcher = page.get_by_role("button", name="Chat with Fellside Outfitters")
    expect(launcher).to_be_visible(timeout=15_000)
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert page.locator("iframe").count() == 0  # nothing loads until the shopper opens it
    assert_accessible(page)

    # Keyboard only: Tab reaches the launcher, Enter opens the chat.
    launcher.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#shopchat-panel")
    expect(panel).to_be_visible()
    expect(page.get_by_role("button", name="Close the chat").first).to_have_attribute("aria-expanded", "true")
    chat = page.frame_locator("#shopchat-panel")
    expect(chat.locator("#status")).to_have_text("online", timeout=15_000)
    expect(chat.locator(".msg--welcome")).to_contain_text("Fellside Outfitters assistant")
    box = panel.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]

    chat.locator("#text").fill(BOOTS)
    chat.locator("#text").press("Enter")
    expect(chat.locator(".msg--bot .msg__text").last).to_have_text(expected, timeout=30_000)
    page.screenshot(path=str(tmp_path / "widget.png"))

    # The chat's own close button (inside the frame) closes the panel and gives focus back to the launcher.
    chat.get_by_role("button", name="Close the chat").click()
    expect(panel).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(chat.locator(".msg--user .msg__text").last).to_have_text(BOOTS)

    # A fresh load of the retailer's page still has the conversation (it lives on the chat's origin).
    page.reload()
    page.get_by_role("button", name="Chat with Fellside Outfitters").click()
    expect(page.frame_locator("#shopchat-panel").locator(".msg--bot .msg__text").last).to_have_text(expected, timeout=15_000)
    context.close()
