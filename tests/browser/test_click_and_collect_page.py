"""In a real browser: stock question → reserve → pay link → sandbox page paid → confirmation in the web chat."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.services.inventory import set_on_hand

pytestmark = pytest.mark.browser


def _reserve_and_open_pay_link(browser: Browser, bot_url: str, question: str, answer_says: str) -> tuple[Page, Page]:
    """The web chat: a stock question, "reserve 1 of those", Reserve now, Pay now by link, then the link's tab."""
    chat = browser.new_page()
    chat.goto(f"{bot_url}/chat")
    expect(chat.locator("#status")).to_have_text("online", timeout=15_000)

    chat.fill("#text", question)
    chat.press("#text", "Enter")
    expect(chat.locator(".msg--bot .msg__text").last).to_contain_text(answer_says, timeout=30_000)

    chat.fill("#text", "reserve 1 of those")
    chat.press("#text", "Enter")
    reserve = chat.locator(".msg--bot").last.get_by_role("button", name="Reserve now")
    expect(reserve).to_be_visible(timeout=30_000)
    reserve.click()
    pay_now = chat.locator(".msg--bot").last.get_by_role("button", name="Pay now by link")
    expect(pay_now).to_be_visible(timeout=30_000)
    pay_now.click()

    link = chat.locator(".msg--bot .msg__text a").last
    expect(link).to_be_visible(timeout=30_000)
    with chat.context.expect_page() as new_tab:
        link.click()
    pay_page = new_tab.value
    pay_page.wait_for_load_state()
    return chat, pay_page


def test_from_stock_question_to_paid_order(assistant, browser: Browser, tmp_path) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "stockport", "FS-BOOT-TRB-BRN-9", 6)
    chat, pay_page = _reserve_and_open_pay_link(
        browser, stack.bot_url, "do you have the trailblazer boots in brown size 9 at stockport?", "Stockport"
    )
    expect(pay_page.locator("body")).to_contain_text("£89.99")
    pay_page.fill("#card_number", "4242 4242 4242 4242")
    pay_page.locator("button[type=submit]").click()
    expect(pay_page.locator("body")).to_contain_text("Payment received", timeout=30_000)
    pay_page.screenshot(path=str(tmp_path / "paid.png"))

    confirmation = chat.locator(".msg--bot .msg__text", has_text=re.compile(r"Payment received for FS-"))
    expect(confirmation).to_be_visible(timeout=30_000)
    expect(confirmation).to_contain_text("pickup code")
    chat.screenshot(path=str(tmp_path / "confirmed.png"))
    chat.close()


def test_a_jakarta_order_paid_with_qris_on_the_sandbox_midtrans_page(assistant, browser: Browser, tmp_path) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "grand-indonesia", "FS-BOOT-TRB-BRN-8", 6)
    chat, pay_page = _reserve_and_open_pay_link(
        browser, stack.bot_url, "do you have the trailblazer boots in brown size 8 at grand indonesia?", "1,889,000"
    )
    expect(pay_page.locator("body")).to_contain_text("Rp\u00a01.889.000")  # the store's locale
    for method in ("QRIS", "GoPay", "ShopeePay", "BCA Virtual Account"):
        expect(pay_page.get_by_label(method)).to_be_visible()
    pay_page.get_by_label("QRIS").check()
    pay_page.locator("button[type=submit]").click()
    expect(pay_page.locator("body")).to_contain_text("Payment received", timeout=30_000)
    pay_page.screenshot(path=str(tmp_path / "paid-qris.png"))

    confirmation = chat.locator(".msg--bot .msg__text", has_text=re.compile(r"Payment received for FS-"))
    expect(confirmation).to_be_visible(timeout=30_000)
    chat.close()
