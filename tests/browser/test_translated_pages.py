"""In a real browser: the web chat page and the pay page in the shopper's language (issue 19).

The chat page starts in the language the browser asks for and follows the conversation's language as
replies arrive; the pay page speaks the chat's language (or the order's, the browser's, or the market's). Amounts are in
the market's own format ("Rp 1.889.000"), and axe finds nothing serious in any language.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from bot.catalog.inventory import set_on_hand
from bot.kernel.models import Order, PaymentLink
from tests.support.accessibility import assert_accessible
from tests.support.stack import WebShopper

pytestmark = pytest.mark.browser


def _say(chat: Page, text: str) -> None:
    chat.fill("#text", text)
    chat.press("#text", "Enter")


def test_an_indonesian_browser_chats_and_pays_in_indonesian(assistant, browser: Browser) -> None:
    stack, shop = assistant
    shop.run(set_on_hand, "grand-indonesia", "FS-BOOT-TRB-BRN-7", 6)
    context = browser.new_context(locale="id-ID")  # Accept-Language: id-ID
    chat = context.new_page()
    chat.goto(f"{stack.bot_url}/chat")
    expect(chat.locator("html")).to_have_attribute("lang", "id")
    expect(chat.locator("#status")).to_have_text("online", timeout=15_000)
    expect(chat.locator(".msg--welcome")).to_contain_text("Halo! Saya asisten Fellside Outfitters")
    expect(chat.locator(".msg--welcome").get_by_role("button")).to_have_text(
        ["Cek stok", "Lacak pesanan saya", "Jam buka toko", "Bicara dengan petugas"]
    )
    expect(chat.get_by_role("button", name="Kirim")).to_be_visible()
    expect(chat.locator("#text")).to_have_attribute("placeholder", "Tanya soal stok, pesanan atau toko…")
    assert_accessible(chat)

    _say(chat, "ada sepatu trailblazer coklat ukuran 7 di grand indonesia?")
    expect(chat.locator(".msg--bot .msg__text").last).to_contain_text("Rp\u00a01.889.000", timeout=60_000)
    _say(chat, "pesan 1")
    reserve = chat.locator(".msg--bot").last.get_by_role("button", name="Pesan sekarang")
    expect(reserve).to_be_visible(timeout=30_000)
    reserve.click()
    pay_now = chat.locator(".msg--bot").last.get_by_role("button", name="Bayar sekarang lewat link")
    expect(pay_now).to_be_visible(timeout=30_000)
    pay_now.click()

    # The pay card and the sentence above it in Indonesian, the amount written the Indonesian way.
    card = chat.locator(".msg--bot .paycard a.btn").last
    expect(card).to_have_text(re.compile(r"^Bayar Rp\u00a01\.889\.000 sebelum \S+ \d\d[.:]\d\d$"), timeout=30_000)
    expect(chat.locator(".msg--bot .msg__text").last).to_contain_text(re.compile(r"Silakan bayar sebelum .+ supaya tetap disimpan\.$"))
    assert_accessible(chat)

    with context.expect_page() as new_tab:
        card.click()
    pay_page = new_tab.value
    pay_page.wait_for_load_state()
    expect(pay_page.locator("html")).to_have_attribute("lang", "id")
    expect(pay_page.locator("h1")).to_have_text("Bayar pesanan Anda")
    expect(pay_page.locator(".pay__due")).to_contain_text("Bayar Rp\u00a01.889.000 sebelum")
    expect(pay_page.get_by_role("link", name="Kembali ke chat")).to_be_visible()
    expect(pay_page.get_by_label("Nomor kartu")).to_be_visible()
    assert_accessible(pay_page)
    pay_page.get_by_label("QRIS").check()
    pay_page.locator("button[type=submit]").click()
    expect(pay_page.locator("h1")).to_have_text("Pembayaran diterima", timeout=30_000)
    assert_accessible(pay_page)
    context.close()


def test_the_chat_page_follows_the_conversation_into_finnish_and_back(assistant, browser: Browser) -> None:
    stack, _ = assistant
    context = browser.new_context(locale="en-GB")
    chat = context.new_page()
    chat.goto(f"{stack.bot_url}/chat")
    expect(chat.locator("html")).to_have_attribute("lang", "en")
    expect(chat.locator("#status")).to_have_text("online", timeout=15_000)
    expect(chat.locator(".msg--welcome")).to_contain_text("Hi! I'm the Fellside Outfitters assistant")

    _say(chat, "onko arndale auki tänään?")
    expect(chat.locator(".msg--bot .msg__text").last).to_contain_text("Arndale", timeout=60_000)
    # The reply was Finnish: the page's own words follow it.
    expect(chat.locator("html")).to_have_attribute("lang", "fi")
    expect(chat.locator("#text")).to_have_attribute("placeholder", "Kysy saatavuudesta, tilauksista tai myymälöistä…")
    expect(chat.get_by_role("button", name="Lähetä")).to_be_visible()
    expect(chat.locator(".msg--welcome")).to_contain_text("Hei! Olen Fellside Outfitters-avustaja")
    expect(chat.locator("#status")).to_have_text("paikalla")
    assert_accessible(chat)

    _say(chat, "English please")
    expect(chat.locator(".msg--bot .msg__text").last).to_contain_text("English", timeout=30_000)
    expect(chat.locator("html")).to_have_attribute("lang", "en")
    expect(chat.get_by_role("button", name="Send")).to_be_visible()

    # A reload replays the conversation and keeps the page in its language.
    chat.reload()
    expect(chat.locator("#status")).to_have_text("online", timeout=15_000)
    expect(chat.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(chat)
    context.close()


def test_a_page_asked_for_in_finnish_is_in_finnish(assistant, browser: Browser) -> None:
    stack, _ = assistant
    context = browser.new_context(locale="en-GB")
    chat = context.new_page()
    chat.goto(f"{stack.bot_url}/chat?lang=fi")
    expect(chat.locator("html")).to_have_attribute("lang", "fi")
    expect(chat.locator("#status")).to_have_text("paikalla", timeout=15_000)
    expect(chat.locator(".msg--welcome").get_by_role("button")).to_have_text(
        ["Tarkista saatavuus", "Seuraa tilaustani", "Myymälöiden aukioloajat", "Puhu ihmisen kanssa"]
    )
    assert chat.title() == "Chat: Fellside Outfitters"
    assert_accessible(chat)
    context.close()


def test_a_pay_link_opened_outside_the_chat_speaks_the_orders_language(assistant, browser: Browser) -> None:
    """A Finnish shopper orders in Manchester and opens the link where nothing says Finnish (as from an SMS on a
    phone set to English): no chat cookie, no ?lang=, an English browser, a market that speaks only English."""
    stack, shop = assistant
    shop.run(set_on_hand, "stockport", "FS-CMP-STV-SLV-OS", 40)
    shopper = WebShopper(stack.bot_url)
    try:
        shopper.say("varaa retkikeitin stockportista")
        shopper.say("kassalle")
        shopper.say("1")  # the first choice: pay now by link
    finally:
        shopper.close()
    with shop.uow() as uow:
        order = uow.session.scalars(select(Order).where(Order.conversation_id == shopper.conversation_id)).one()
        url = uow.session.scalars(select(PaymentLink.url).where(PaymentLink.order_id == order.id)).one()
        reference, language = order.reference, order.language
    assert language == "fi"

    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.locator("h1")).to_have_text("Maksa tilauksesi")
    expect(page.get_by_label("Kortin numero")).to_be_visible()
    assert_accessible(page)
    # The page the provider returns the shopper to knows the order by its reference.
    page.goto(f"{stack.bot_url}/payments/complete?order={reference}")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.locator("h1")).to_have_text("Kiitos")
    # Asked for by name, English still wins.
    page.goto(f"{url}?lang=en")
    expect(page.locator("h1")).to_have_text("Pay for your order")
    context.close()
