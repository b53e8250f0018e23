"""The pay page and the provider's return pages speak the language the order was placed in, when the request
names none: a pay link opened from an SMS has no chat cookie, and the phone's browser may say English."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timezone
from typing import AsyncIterator

import httpx
import pytest
from sanic import Sanic

from bot.catalog.inventory import set_on_hand
from bot.ordering import placing
from bot.ordering.cart import add_to_cart
from bot.ordering.pay_links import create_payment_link
from bot.payments import provider_chooser, provider_factory
from bot.kernel.shop import Shop
from bot.server.payments_routes import build_payments_blueprint
from tests.support.sanic_server import serving

ENGLISH_PHONE = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
async def client(catalog_shop: Shop) -> AsyncIterator[httpx.AsyncClient]:
    async def notify(_outcome: object) -> None:
        return None

    Sanic.test_mode = True
    app = Sanic(f"pay_language_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.blueprint(build_payments_blueprint(catalog_shop, provider_factory(catalog_shop.settings), notify))
    async with serving(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            yield client


def _order(shop: Shop, store: str, sku: str, language: str | None) -> tuple[str, str]:
    """An order placed in `language` at `store`, with its sandbox pay link: (reference, pay page path)."""
    conversation = f"sms:+44770090{uuid.uuid4().int % 10_000:04d}"
    shop.run(set_on_hand, store, sku, 5)
    shop.run(add_to_cart, conversation, sku, 1)
    placed = shop.run(placing.place_order, conversation, "sms", store, "link", now=datetime.now(timezone.utc), language=language)
    settings = dataclasses.replace(shop.settings, payment_provider="sandbox")
    link = shop.run(create_payment_link, provider_chooser(settings), placed.reference)
    return placed.reference, f"/pay/{link.provider_ref}"


async def test_a_finnish_order_opened_in_an_english_browser_is_in_finnish(catalog_shop: Shop, client: httpx.AsyncClient) -> None:
    reference, path = _order(catalog_shop, "arndale", "FS-CMP-STV-SLV-OS", "fi")

    page = (await client.get(path, headers=ENGLISH_PHONE)).text
    assert "<html lang='fi'>" in page and "Maksa tilauksesi" in page and "£39.99" in page

    # An explicit choice in the address still wins (the web chat adds its own).
    assert "Pay for your order" in (await client.get(f"{path}?lang=en", headers=ENGLISH_PHONE)).text
    # The pages the provider sends the shopper back to know the order by its reference.
    complete = (await client.get(f"/payments/complete?order={reference}", headers=ENGLISH_PHONE)).text
    assert "<html lang='fi'>" in complete and "Vahvistamme maksusi chatissa." in complete
    cancelled = (await client.get(f"/payments/cancelled?order={reference}", headers=ENGLISH_PHONE)).text
    assert "Maksu peruttu" in cancelled


async def test_the_order_language_comes_before_the_markets_own(catalog_shop: Shop, client: httpx.AsyncClient) -> None:
    # An English speaker shopping in Jakarta: the page used to be Indonesian (the market's) for a browser that says nothing.
    _reference, path = _order(catalog_shop, "grand-indonesia", "FS-BOOT-TRB-BRN-9", "en")
    page = (await client.get(path)).text
    assert "<html lang='en'>" in page and "Pay for your order" in page and "Rp\xa01.889.000" in page


async def test_an_order_from_before_languages_were_kept_falls_back_as_before(catalog_shop: Shop, client: httpx.AsyncClient) -> None:
    reference, path = _order(catalog_shop, "grand-indonesia", "FS-BOOT-TRB-BRN-9", None)
    assert "<html lang='id'>" in (await client.get(path)).text  # the market's own language
    assert "<html lang='en'>" in (await client.get(path, headers=ENGLISH_PHONE)).text  # the browser's, the market speaks it
    assert "<html lang='en'>" in (await client.get("/payments/complete?order=FS-NOSUCH", headers=ENGLISH_PHONE)).text
    assert "<html lang='id'>" in (await client.get(f"/payments/complete?order={reference}")).text
