"""In a real browser: stock question → reserve → pay link → sandbox page paid → confirmation in the web chat."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.catalog.inventory import set_on_hand
from tests.support.accessibility import assert_accessible, tab_to

pytestmark = pytest.mark.browser


def _reserve_and_open_pay_link(browser: Browser, bot_url: str, question: str, answer_says: str, amount: str) -> tuple[Page, Page]:
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

    # The link is a card with the amount and the pay-by time (24-hour), not a long raw URL.
    pay_button = chat.locator(".msg--bot .paycard a.btn").last
    expect(pay_button).to_have_text(re.compile(rf"^Pay {amount} by (Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([01]\d|2[0-3]):[0-5]\d$"), timeout=30_000)
    offer = chat.locator(".msg--bot .msg__text").last
    expect(offer).to_contain_text(re.compile(r"Please pay by \w{3} \d{1,2} \w{3} \d\d:\d\d to keep it\.$"))
    expect(offer).not_to_contain_text("http")
    # The question that offered the pay link is answered: its old buttons cannot be pressed again.
    expect(chat.get_by_role("button", name="Pay now by link")).to_be_disabled()
    with chat.context.expect_page() as new_tab:
        pay_button.click()
    pay_page = new_tab.value
    pay_page.wait_for_load_state()
    return chat, pay_page


def test_from_stock_question_to_paid_order(assistant, browser: Browser, tmp_path) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "stockport", "FS-BOOT-TRB-BRN-9", 6)
    chat, pay_page = _reserve_and_open_pay_link(
        browser, stack.bot_url, "do you have the trailblazer boots in brown size 9 at stockport?", "Stockport", r"£89\.99"
    )
    expect(pay_page.locator(".site-bar")).to_have_text("Fellside Outfitters")
    expect(pay_page.locator(".pay__due")).to_contain_text(re.compile(r"Pay £89\.99 by \w{3} \d{1,2} \w{3} \d\d:\d\d"))
    expect(pay_page.get_by_role("link", name="Back to the chat")).to_have_attribute("href", "/chat")
    assert_accessible(pay_page)
    pay_page.set_viewport_size({"width": 390, "height": 844})  # and on a phone
    assert pay_page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # Each of the market's methods is one row, its radio beside its name (a full-width radio sat above it).
    rows = pay_page.evaluate("() => [...document.querySelectorAll('.pay__method')].map(l => l.getBoundingClientRect().height)")
    assert rows and max(rows) < 48, rows
    assert_accessible(pay_page)

    # A declined card: the message says so and the number stays in the field, ready to correct.
    # By keyboard alone: Tab to the card field, type, Enter submits.
    tab_to(pay_page, "#card_number")
    pay_page.keyboard.type("4000 0000 0000 0002")
    pay_page.keyboard.press("Enter")
    expect(pay_page.get_by_role("alert")).to_contain_text("declined")
    expect(pay_page.locator("#card_number")).to_have_value("4000 0000 0000 0002")
    assert_accessible(pay_page)

    pay_page.fill("#card_number", "4242 4242 4242 4242")
    # One press of Pay shows it is busy (and a second press does nothing) while the payment is confirmed.
    busy = pay_page.evaluate(
        "() => { document.getElementById('pay_form').requestSubmit();"
        " return document.getElementById('pay_button').getAttribute('aria-busy'); }"
    )
    assert busy == "true"
    expect(pay_page.locator("body")).to_contain_text("Payment received", timeout=30_000)
    pay_page.screenshot(path=str(tmp_path / "paid.png"))

    confirmation = chat.locator(".msg--bot .msg__text", has_text=re.compile(r"Payment received for FS-"))
    expect(confirmation).to_be_visible(timeout=30_000)
    expect(confirmation).to_contain_text("pickup code")
    expect(confirmation).to_contain_text("message you here when it's ready")
    chat.screenshot(path=str(tmp_path / "confirmed.png"))
    # Coming back later, the old pay card says it is paid instead of offering to pay again.
    chat.reload()
    expect(chat.locator(".paycard").last).to_contain_text("Paid · £89.99", timeout=15_000)
    chat.close()


def test_a_jakarta_order_paid_with_qris_on_the_sandbox_midtrans_page(assistant, browser: Browser, tmp_path) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "grand-indonesia", "FS-BOOT-TRB-BRN-8", 6)
    chat, pay_page = _reserve_and_open_pay_link(
        browser, stack.bot_url, "do you have the trailblazer boots in brown size 8 at grand indonesia?", "Rp\u00a01.889.000",
        r"(Rp|IDR)\s?1[.,]889[.,]000",
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
