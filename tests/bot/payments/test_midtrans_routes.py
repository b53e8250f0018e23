"""A Jakarta order paid through Midtrans (and through the sandbox's imitation of it), on a real Sanic server:
forged notifications refused, repeats applied once, statuses arriving out of order never undo a payment.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime, timezone
from typing import AsyncIterator, Iterator

import httpx
import pytest
from sanic import Sanic
from sqlalchemy import func, select

from bot.kernel.models import AuditEntry, PaymentLink
from bot.payments import provider_chooser, provider_factory
from bot.payments.midtrans import signature_key
from bot.server.payments_routes import build_payments_blueprint
from bot.ordering import orders
from bot.ordering import placing
from bot.ordering.cart import add_to_cart
from bot.catalog.inventory import set_on_hand
from bot.ordering.pay_links import PaymentOutcome, create_payment_link
from bot.kernel.shop import Shop
from tests.bot.payments.test_midtrans_provider import SERVER_KEY, notification
from tests.support.fake_midtrans import FakeMidtrans
from tests.support.sanic_server import serving

NBSP = "\xa0"


class Server:
    def __init__(self, shop: Shop, base: str, notified: list[PaymentOutcome]) -> None:
        self.shop, self.notified = shop, notified
        self.client = httpx.AsyncClient(base_url=base, timeout=30)


@pytest.fixture
def fake_midtrans() -> Iterator[FakeMidtrans]:
    fake = FakeMidtrans()
    yield fake
    fake.close()


@pytest.fixture
async def server(catalog_shop: Shop, fake_midtrans: FakeMidtrans) -> AsyncIterator[Server]:
    catalog_shop.settings = dataclasses.replace(
        catalog_shop.settings, midtrans_server_key=SERVER_KEY, midtrans_snap_base=fake_midtrans.base, midtrans_api_base=fake_midtrans.base
    )
    notified: list[PaymentOutcome] = []

    async def notify(outcome: PaymentOutcome) -> None:
        notified.append(outcome)

    Sanic.test_mode = True
    app = Sanic(f"midtrans_test_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.blueprint(build_payments_blueprint(catalog_shop, provider_factory(catalog_shop.settings), notify))
    async with serving(app) as base_url:
        running = Server(catalog_shop, base_url, notified)
        yield running
        await running.client.aclose()


def _jakarta_order(shop: Shop, deployment: str) -> tuple[str, str]:
    """Two Trailblazer boots reserved at Grand Indonesia, with a pay link made the way `deployment` makes it."""
    shop.run(set_on_hand, "grand-indonesia", "FS-BOOT-TRB-BRN-9", 5)
    shop.run(add_to_cart, "web:jkt", "FS-BOOT-TRB-BRN-9", 2)
    placed = shop.run(placing.place_order, "web:jkt", "web", "grand-indonesia", "link", now=datetime.now(timezone.utc))
    settings = dataclasses.replace(shop.settings, payment_provider=deployment)
    link = shop.run(create_payment_link, provider_chooser(settings), placed.reference)
    return placed.reference, link.provider_ref


def _status(shop: Shop, reference: str) -> str:
    return shop.run(orders.order_status, reference).status


def _paid_audits(shop: Shop) -> int:
    with shop.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "order_paid")))


async def test_the_sandbox_imitates_midtrans_for_a_jakarta_order(server: Server) -> None:
    reference, token = _jakarta_order(server.shop, "sandbox")
    with server.shop.uow() as uow:
        assert uow.session.scalars(select(PaymentLink.provider)).one() == "sandbox_midtrans"

    page = (await server.client.get(f"/pay/{token}")).text
    assert f"Rp{NBSP}3.778.000" in page  # 2 × Rp 1.889.000, in the store's locale
    # In the market's own language when the browser asks for none; brand names stay, "card" is translated.
    assert "<html lang='id'>" in page and "Bayar pesanan Anda" in page
    for name in ("QRIS", "GoPay", "ShopeePay", "BCA Virtual Account", "Kartu"):
        assert name in page
    assert "name='method' value='qris' checked" in page
    # A browser that prefers English gets English: the market speaks it too.
    english = (await server.client.get(f"/pay/{token}", headers={"Accept-Language": "en-GB,en;q=0.9"})).text
    assert "<html lang='en'>" in english and "Pay for your order" in english and "Card" in english

    answer = await server.client.post(f"/pay/{token}", data={"method": "qris"})

    assert answer.status_code == 200 and "Pembayaran diterima" in answer.text
    assert _status(server.shop, reference) == "paid"
    [told] = server.notified
    assert (told.provider, told.event_type, told.order_reference) == ("sandbox_midtrans", "midtrans.settlement", reference)


async def test_a_method_the_market_does_not_offer_is_refused(server: Server) -> None:
    reference, token = _jakarta_order(server.shop, "sandbox")
    answer = await server.client.post(f"/pay/{token}", data={"method": "klarna"})
    assert answer.status_code == 400 and _status(server.shop, reference) == "pending_payment"


async def test_a_link_from_real_midtrans_offers_the_markets_methods(server: Server, fake_midtrans: FakeMidtrans) -> None:
    _jakarta_order(server.shop, "stripe")  # a live deployment: Jakarta's provider is Midtrans, not Stripe
    [sent] = fake_midtrans.requests
    assert sent["json"]["enabled_payments"] == ["qris", "gopay", "shopeepay", "bca_va", "bni_va", "bri_va", "other_va", "credit_card"]
    assert sent["json"]["transaction_details"]["gross_amount"] == 3_778_000


def _signed_note(provider_ref: str, status: str, key: str = SERVER_KEY) -> bytes:
    """A Midtrans notification about this link, signed with `key`."""
    note = json.loads(notification(status, key))
    note["order_id"] = provider_ref
    note["signature_key"] = signature_key(provider_ref, note["status_code"], note["gross_amount"], key)
    return json.dumps(note).encode()


async def test_forged_notifications_are_refused_and_change_nothing(server: Server) -> None:
    reference, order_id = _jakarta_order(server.shop, "stripe")
    forged = _signed_note(order_id, "settlement", key="SB-Mid-server-attacker")
    answer = await server.client.post("/webhooks/payments/midtrans", content=forged, headers={"Content-Type": "application/json"})
    assert answer.status_code == 403
    answer = await server.client.post("/webhooks/payments/midtrans", content=b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 403
    assert _status(server.shop, reference) == "pending_payment" and server.notified == []


async def test_a_repeated_notification_is_applied_once(server: Server) -> None:
    reference, order_id = _jakarta_order(server.shop, "stripe")
    body = _signed_note(order_id, "settlement")

    first = await server.client.post("/webhooks/payments/midtrans", content=body)
    again = await server.client.post("/webhooks/payments/midtrans", content=body)

    assert (first.json()["result"], again.json()["result"]) == ("processed", "duplicate")
    assert _status(server.shop, reference) == "paid"
    assert _paid_audits(server.shop) == 1 and len(server.notified) == 1


async def test_statuses_out_of_order_never_undo_a_payment(server: Server) -> None:
    reference, order_id = _jakarta_order(server.shop, "stripe")
    # Midtrans sends pending when the QR is shown, settlement when paid; a retry of pending (or a late
    # expire/deny) can arrive after settlement.
    for status in ("settlement", "pending", "expire", "deny"):
        answer = await server.client.post("/webhooks/payments/midtrans", content=_signed_note(order_id, status))
        assert answer.status_code == 200, status
    assert _status(server.shop, reference) == "paid"
    with server.shop.uow() as uow:
        assert uow.session.scalars(select(PaymentLink.status)).one() == "paid"
    assert [outcome.message_kind for outcome in server.notified] == ["payment_received"]


async def test_pending_then_settlement_pays(server: Server) -> None:
    reference, order_id = _jakarta_order(server.shop, "stripe")
    await server.client.post("/webhooks/payments/midtrans", content=_signed_note(order_id, "pending"))
    assert _status(server.shop, reference) == "pending_payment"
    await server.client.post("/webhooks/payments/midtrans", content=_signed_note(order_id, "settlement"))
    assert _status(server.shop, reference) == "paid"
