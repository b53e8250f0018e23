"""The payment routes on a real Sanic server on loopback: pay page, sandbox and Stripe webhooks."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

import httpx
import pytest
from sanic import Sanic
from sqlalchemy import func, select

from bot.kernel.models import AuditEntry, Base, Order, PaymentLink
from bot.kernel.models import PaymentEvent as ProcessedEvent
from bot.payments import provider_factory
from bot.payments.sandbox import SandboxProvider
from bot.payments.stripe_signature import sign
from bot.server.payments_routes import build_payments_blueprint, format_money
from bot.ordering import orders
from bot.ordering import hold_expiry, placing
from bot.ordering.pay_links import PAYMENT_RECEIVED, PAYMENT_REFUNDED, PaymentOutcome, create_payment_link
from bot.kernel.shop import Shop
from tests.support.sanic_server import serving
from tests.bot.factories import add_variant, place, seed_small_shop, set_stock
from tests.bot.payments.stripe_samples import SESSION_ID, checkout_session_event

STRIPE_WEBHOOK_SECRET = "whsec_stripe_route_test"
CARD = "4242424242424242"


class Server:
    def __init__(self, shop: Shop, base: str, notified: list[PaymentOutcome]) -> None:
        self.shop, self.base, self.notified = shop, base, notified
        self.client = httpx.AsyncClient(base_url=base, timeout=30)
        self.fail_notify = False


@pytest.fixture
async def server(shop: Shop) -> AsyncIterator[Server]:
    settings = dataclasses.replace(shop.settings, stripe_secret_key="sk_test_x", stripe_webhook_secret=STRIPE_WEBHOOK_SECRET)
    shop.settings = settings
    notified: list[PaymentOutcome] = []
    holder: dict[str, Server] = {}

    async def notify(outcome: PaymentOutcome) -> None:
        if holder["server"].fail_notify:
            raise RuntimeError("Rasa is down")
        notified.append(outcome)

    # Sanic 21.12 rewrites its connection handler on the first start; only in test mode does it keep
    # the original so a second app can start in the same process. Left on for later tests too.
    Sanic.test_mode = True
    app = Sanic(f"payments_test_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.blueprint(build_payments_blueprint(shop, provider_factory(settings), notify))
    async with serving(app) as base_url:
        holder["server"] = Server(shop, base_url, notified)
        yield holder["server"]
        await holder["server"].client.aclose()


def _sandbox(shop: Shop) -> SandboxProvider:
    provider = provider_factory(shop.settings)("sandbox")
    assert isinstance(provider, SandboxProvider)
    return provider


def _pending_order_with_link(shop: Shop, conversation: str = "web:abc") -> tuple[str, str]:
    seed_small_shop(shop)
    now = datetime.now(timezone.utc)
    placed = place(shop, conversation, {"JKT-NVY-M": 2}, now=now)
    link = shop.run(create_payment_link, _sandbox(shop), placed.reference, now)
    return placed.reference, link.provider_ref


def _status(shop: Shop, reference: str) -> str:
    return shop.run(orders.order_status, reference).status


def _count(shop: Shop, model) -> int:  # type: ignore[no-untyped-def]
    with shop.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)))


def _link_status(shop: Shop) -> str:
    with shop.uow() as uow:
        return uow.session.scalars(select(PaymentLink.status)).one()


def _completed(shop: Shop, reference: str, token: str, at: float | None = None) -> tuple[bytes, dict[str, str]]:
    provider = _sandbox(shop)
    if at is not None:
        provider = SandboxProvider(shop.settings.sandbox_webhook_secret, "http://x", clock=lambda: at)
    return provider.checkout_event("checkout.session.completed", token, reference, 17998, "GBP", card_last4="4242")


def _all_table_text(shop: Shop) -> str:
    with shop.engine.connect() as connection:
        return "\n".join(repr(connection.execute(select(table)).all()) for table in Base.metadata.sorted_tables)


async def test_pay_page_shows_the_order_escaped(server: Server) -> None:
    add_variant(server.shop, "ODD-1", name="<b>Bold</b> & Tee", colour="", size="", price_minor=1050)
    reference, token = _pending_order_with_link(server.shop)
    response = await server.client.get(f"/pay/{token}")
    assert response.status_code == 200
    assert reference in response.text
    assert "2 × Trail Jacket (Navy, M)" in response.text and "£179.98" in response.text
    assert "4242 4242 4242 4242" in response.text and "4000 0000 0000 0002" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"

    set_stock(server.shop, "leeds", "ODD-1", on_hand=5)
    from bot.ordering.cart import add_to_cart

    server.shop.run(add_to_cart, "web:odd", "ODD-1", 1)
    odd = server.shop.run(placing.place_order, "web:odd", "web", "leeds", "link")
    odd_link = server.shop.run(create_payment_link, _sandbox(server.shop), odd.reference)
    page = (await server.client.get(f"/pay/{odd_link.provider_ref}")).text
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Tee" in page and "<b>Bold</b>" not in page


async def test_unknown_pay_token_is_404(server: Server) -> None:
    assert (await server.client.get("/pay/cs_sandbox_doesnotexist")).status_code == 404
    assert (await server.client.get("/pay/../../etc/passwd")).status_code == 404
    assert (await server.client.post("/pay/whatever", data={"card_number": CARD})).status_code == 404


async def test_paying_with_the_test_card(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    reference, token = _pending_order_with_link(server.shop)

    response = await server.client.post(f"/pay/{token}", data={"card_number": "4242 4242 4242 4242"})

    assert response.status_code == 200 and "Payment received" in response.text
    assert _status(server.shop, reference) == "paid"
    assert [(o.message_kind, o.order_reference, o.conversation_id) for o in server.notified] == [
        (PAYMENT_RECEIVED, reference, "web:abc")
    ]
    # The card number is never stored or logged; only its last four digits are kept.
    stored = _all_table_text(server.shop)
    assert CARD not in stored and "4242 4242 4242 4242" not in stored
    assert "'card_last4': '4242'" in stored
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert CARD not in logged and "4242 4242 4242 4242" not in logged

    again = await server.client.get(f"/pay/{token}")
    assert "Paid, thank you" in again.text
    assert (await server.client.post(f"/pay/{token}", data={"card_number": CARD})).status_code == 200
    assert len(server.notified) == 1


async def test_declined_and_invalid_cards_change_nothing(server: Server) -> None:
    reference, token = _pending_order_with_link(server.shop)
    declined = await server.client.post(f"/pay/{token}", data={"card_number": "4000 0000 0000 0002"})
    assert declined.status_code == 400 and "declined" in declined.text
    invalid = await server.client.post(f"/pay/{token}", data={"card_number": "1234"})
    assert invalid.status_code == 400 and "not a sandbox test card" in invalid.text
    empty = await server.client.post(f"/pay/{token}", data={})
    assert empty.status_code == 400
    assert _status(server.shop, reference) == "pending_payment"
    assert _count(server.shop, ProcessedEvent) == 0 and server.notified == []


async def test_forged_webhook_is_403_and_changes_nothing(server: Server) -> None:
    reference, token = _pending_order_with_link(server.shop)
    body, _headers = _completed(server.shop, reference, token)
    forged = {"Stripe-Signature": sign("whsec_attacker", body), "Content-Type": "application/json"}
    assert (await server.client.post("/webhooks/payments/sandbox", content=body, headers=forged)).status_code == 403
    unsigned = await server.client.post("/webhooks/payments/sandbox", content=body)
    assert unsigned.status_code == 403
    _real_body, real_headers = _completed(server.shop, reference, token)
    tampered = body.replace(b"17998", b"1")
    assert (await server.client.post("/webhooks/payments/sandbox", content=tampered, headers=real_headers)).status_code == 403
    assert _status(server.shop, reference) == "pending_payment"
    assert _count(server.shop, ProcessedEvent) == 0 and _link_status(server.shop) == "open"
    assert server.notified == []


async def test_stale_webhook_is_403(server: Server) -> None:
    reference, token = _pending_order_with_link(server.shop)
    body, headers = _completed(server.shop, reference, token, at=datetime.now(timezone.utc).timestamp() - 301)
    assert (await server.client.post("/webhooks/payments/sandbox", content=body, headers=headers)).status_code == 403
    assert _status(server.shop, reference) == "pending_payment" and _count(server.shop, ProcessedEvent) == 0


async def test_the_same_event_five_times_is_processed_once(server: Server) -> None:
    reference, token = _pending_order_with_link(server.shop)
    body, headers = _completed(server.shop, reference, token)
    responses = await asyncio.gather(
        *(server.client.post("/webhooks/payments/sandbox", content=body, headers=headers) for _ in range(5))
    )
    assert [r.status_code for r in responses] == [200] * 5
    assert sorted(r.json()["result"] for r in responses) == ["duplicate"] * 4 + ["processed"]
    assert _count(server.shop, ProcessedEvent) == 1
    assert len(server.notified) == 1 and _status(server.shop, reference) == "paid"
    with server.shop.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "order_paid")) == 1


async def test_out_of_order_events_do_not_move_backwards(server: Server) -> None:
    reference, token = _pending_order_with_link(server.shop)
    provider = _sandbox(server.shop)
    completed = provider.checkout_event("checkout.session.completed", token, reference, 17998, "GBP")
    expired = provider.checkout_event("checkout.session.expired", token, reference, 17998, "GBP", payment_status="unpaid")
    for body, headers in (completed, expired):
        assert (await server.client.post("/webhooks/payments/sandbox", content=body, headers=headers)).status_code == 200
    assert _status(server.shop, reference) == "paid" and _link_status(server.shop) == "paid"
    assert len(server.notified) == 1


async def test_expired_then_completed_still_takes_the_payment(server: Server) -> None:
    reference, token = _pending_order_with_link(server.shop)
    provider = _sandbox(server.shop)
    expired = provider.checkout_event("checkout.session.expired", token, reference, 17998, "GBP", payment_status="unpaid")
    completed = provider.checkout_event("checkout.session.completed", token, reference, 17998, "GBP")
    for body, headers in (expired, completed):  # delivered in the wrong order; the hold is still live
        assert (await server.client.post("/webhooks/payments/sandbox", content=body, headers=headers)).status_code == 200
    assert _status(server.shop, reference) == "paid" and _link_status(server.shop) == "paid"


async def test_payment_after_the_hold_expired_is_refunded(server: Server) -> None:
    reference, token = _pending_order_with_link(server.shop)
    server.shop.run(hold_expiry.expire_due_holds, datetime.now(timezone.utc) + timedelta(hours=3))
    body, headers = _completed(server.shop, reference, token)
    assert (await server.client.post("/webhooks/payments/sandbox", content=body, headers=headers)).status_code == 200
    assert _status(server.shop, reference) == "expired"
    assert _link_status(server.shop) == "refunded"
    assert [o.message_kind for o in server.notified] == [PAYMENT_REFUNDED]
    page = await server.client.get(f"/pay/{token}")
    assert page.status_code == 410 and "Payment refunded" in page.text


async def test_a_failing_notify_does_not_fail_the_webhook(server: Server) -> None:
    server.fail_notify = True
    reference, token = _pending_order_with_link(server.shop)
    body, headers = _completed(server.shop, reference, token)
    assert (await server.client.post("/webhooks/payments/sandbox", content=body, headers=headers)).status_code == 200
    assert _status(server.shop, reference) == "paid"


async def test_stripe_webhook_route_with_a_real_event(server: Server) -> None:
    seed_small_shop(server.shop)
    placed = place(server.shop, "whatsapp:+447700900123", {"JKT-NVY-M": 2}, channel="whatsapp", now=datetime.now(timezone.utc))
    with server.shop.uow() as uow:
        order_id = uow.session.scalars(select(Order.id).where(Order.reference == placed.reference)).one()
        uow.session.add(
            PaymentLink(
                order_id=order_id,
                provider="stripe",
                provider_ref=SESSION_ID,
                url="https://checkout.stripe.com/c/pay/x",
                amount_minor=17998,
                currency="GBP",
                idempotency_key="k1",
                expires_at=placed.hold_expires_at,
            )
        )
        uow.commit()
    body = checkout_session_event("checkout.session.completed", "evt_1PnT2bLkdIwHu7ixAbCdEf", placed.reference, 17998)
    forged = await server.client.post("/webhooks/payments/stripe", content=body, headers={"Stripe-Signature": sign("whsec_sandbox?", body)})
    assert forged.status_code == 403
    # A sandbox-signed body must not pass as Stripe's either.
    sandbox_signed = {"Stripe-Signature": sign(server.shop.settings.sandbox_webhook_secret, body)}
    assert (await server.client.post("/webhooks/payments/stripe", content=body, headers=sandbox_signed)).status_code == 403

    response = await server.client.post("/webhooks/payments/stripe", content=body, headers={"Stripe-Signature": sign(STRIPE_WEBHOOK_SECRET, body)})
    assert response.status_code == 200
    assert _status(server.shop, placed.reference) == "paid"
    assert [(o.provider, o.channel, o.message_kind) for o in server.notified] == [("stripe", "whatsapp", PAYMENT_RECEIVED)]


async def test_malformed_and_unknown_provider(server: Server) -> None:
    body = b"{not json"
    signed = {"Stripe-Signature": sign(server.shop.settings.sandbox_webhook_secret, body)}
    assert (await server.client.post("/webhooks/payments/sandbox", content=body, headers=signed)).status_code == 400
    assert (await server.client.post("/webhooks/payments/paypal", content=body, headers=signed)).status_code == 404


def test_money_formatting() -> None:
    assert format_money(17998, "GBP") == "£179.98"
    assert format_money(5, "GBP") == "£0.05"
    assert format_money(1200, "JPY") == "JP¥1,200"  # no minor unit


def _event_body(session: object, event_id: object = "evt_probe_1") -> bytes:
    import json as jsonlib

    return jsonlib.dumps({"id": event_id, "type": "checkout.session.completed", "data": {"object": session}}).encode()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        # The probe's validly signed oddities: each was a 500.
        (_event_body({"object": "checkout.session", "id": "cs_x", "metadata": "s", "payment_status": "paid"}), 200),
        (_event_body({"object": "checkout.session", "id": "cs_x", "metadata": {"order_reference": ["FS-1"]}}), 200),
        (_event_body({"object": "checkout.session", "id": "cs_x"}, event_id="evt_\ud800"), 400),
        (_event_body({"object": "checkout.session", "id": "cs_x"}, event_id={"a": 1}), 400),
        (_event_body({"object": "checkout.session", "id": "cs_x"}, event_id="e" * 500), 400),
        (_event_body({"object": "checkout.session", "id": "\ud800"}), 400),
        (b"[" * 100_000, 400),
        (b'{"id": "evt_1", "type": "x", "data": []}', 400),
        (b'"just a string"', 400),
    ],
)
async def test_signed_but_malformed_events_are_4xx_or_ignored(server: Server, body: bytes, status: int) -> None:
    headers = {"Stripe-Signature": sign(server.shop.settings.sandbox_webhook_secret, body), "Content-Type": "application/json"}
    response = await server.client.post("/webhooks/payments/sandbox", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert server.notified == []
