"""Shopper notices in production mode: a sweeper killed with -9 mid-batch, and Rasa down when a payment lands.

What the shopper must be told is written to the outbox with the change that causes it, delivered at least
once, and said once: checked here on what the web shopper sees (the transcript rows the web chat shows).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import httpx
import pytest
from sqlalchemy import select

from bot.ordering.rules import HoldPolicy
from bot.kernel.models import ChatMessage, Order, Timer
from bot.payments.sandbox import SandboxProvider
from bot.ordering.notices import HOLD_EXPIRED, PAYMENT_RECEIVED
from bot.ordering.pay_links import create_payment_link
from tests.bot.factories import place
from tests.production.conftest import Production
from tests.production.test_faults import new_store

pytestmark = [pytest.mark.production, pytest.mark.e2e]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXPIRING_ORDERS = 30


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.2)


def said(production: Production, conversation_ids: list[str], opening: str) -> Counter[str]:
    """How many assistant lines starting with `opening` (formatted with the order reference) each shopper saw."""
    with production.shop.uow() as uow:
        rows = uow.session.execute(
            select(ChatMessage.conversation_id, ChatMessage.text).where(
                ChatMessage.conversation_id.in_(conversation_ids), ChatMessage.author == "bot"
            )
        ).all()
        references = dict(
            uow.session.execute(select(Order.conversation_id, Order.reference).where(Order.conversation_id.in_(conversation_ids))).all()
        )
    return Counter(conversation for conversation, text in rows if text.startswith(opening.format(references[conversation])))


def notice_rows(production: Production, kind: str, references: list[str]) -> list[Timer]:
    with production.shop.uow() as uow:
        rows = uow.session.scalars(select(Timer).where(Timer.kind == kind, Timer.subject.in_(references))).all()
        uow.session.expunge_all()
        return list(rows)


def start_sweeper(production: Production, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, **production.env, "RASA_URL": production.url("rasa-0"), "SHOP_SWEEP_SECONDS": "1"}
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "bot.orchestration.sweeper"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def test_a_sweeper_killed_mid_batch_loses_no_hold_expiry_notice_and_doubles_none(production: Production, tmp_path: Path) -> None:
    """The issue's case: a sweeper expired 27 holds, died before telling anyone, and they were never told.

    Here a standalone sweeper races the bot servers' own sweepers on 30 holds that run out together and
    is killed -9 once expiries have started; then it is started again. Every shopper sees the expiry
    message exactly once, and every notice row ends sent.
    """
    store, sku = new_store(production, on_hand=EXPIRING_ORDERS * 2)
    hold = timedelta(minutes=HoldPolicy().unpaid_minutes)  # what place_order holds an unpaid order for
    runs_out = datetime.now(timezone.utc) + timedelta(seconds=8)
    conversations = [f"web-{uuid.uuid4()}" for _ in range(EXPIRING_ORDERS)]
    references = [
        place(production.shop, conversation, {sku: 1}, store_id=store, now=runs_out - hold).reference for conversation in conversations
    ]
    sweeper = start_sweeper(production, tmp_path / "sweeper.log")
    try:
        wait_for(lambda: len(notice_rows(production, HOLD_EXPIRED, references)) >= 3, 60, "the first expiries")
        sweeper.kill()  # SIGKILL: no clean-up, like an OOM kill
        sweeper.wait(10)
        expired_at_kill = len(notice_rows(production, HOLD_EXPIRED, references))
        sweeper = start_sweeper(production, tmp_path / "sweeper.log")

        def all_sent() -> bool:
            rows = notice_rows(production, HOLD_EXPIRED, references)
            return len(rows) == EXPIRING_ORDERS and all(row.fired_at is not None for row in rows)

        wait_for(all_sent, 180, "every hold-expired notice sent")
    finally:
        sweeper.kill()
        sweeper.wait(10)
    print(f"{expired_at_kill} of {EXPIRING_ORDERS} holds had expired when the sweeper was killed")
    rows = notice_rows(production, HOLD_EXPIRED, references)
    assert [row.last_error for row in rows] == [None] * EXPIRING_ORDERS
    # Pushed into Rasa does not mean shown yet: wait for each transcript line, then check none doubled.
    opening = "The hold on order {} ran out before payment"
    wait_for(lambda: len(said(production, conversations, opening)) == EXPIRING_ORDERS, 60, "every shopper told")
    assert said(production, conversations, opening) == Counter({conversation: 1 for conversation in conversations})


def test_a_payment_notice_waits_while_rasa_is_down_and_is_said_once_when_it_is_back(production: Production) -> None:
    """The issue's case: "could not push EXTERNAL_payment_received" and no retry, the paid order never said so.

    bot-0 talks to rasa-0, which is killed; bot-1 (the only other sweeper) is down too. The payment lands
    on bot-0: the notice is queued with the payment, its push fails and is retried with backoff while the
    order is already paid. When bot-1 comes back, its sweeper delivers it through rasa-1: said once.
    """
    store, sku = new_store(production, on_hand=4)
    conversation = f"web-{uuid.uuid4()}"
    order = place(production.shop, conversation, {sku: 1}, store_id=store, now=datetime.now(timezone.utc))
    provider = SandboxProvider(production.env["SANDBOX_WEBHOOK_SECRET"], production.url("bot-0"))
    link = production.shop.run(create_payment_link, provider, order.reference)
    body, headers = provider.checkout_event(
        "checkout.session.completed", link.provider_ref, order.reference, link.amount_minor, link.currency, card_last4="4242"
    )
    production.replicas.kill("bot-1")
    production.replicas.kill("rasa-0")
    try:
        reply = httpx.post(f"{production.url('bot-0')}/webhooks/payments/sandbox", content=body, headers=headers, timeout=30)
        assert reply.status_code == 200

        def failed_twice() -> bool:
            rows = notice_rows(production, PAYMENT_RECEIVED, [order.reference])
            return bool(rows) and rows[0].attempts >= 2 and rows[0].fired_at is None

        wait_for(failed_twice, 60, "two failed pushes, the notice still queued")
        [row] = notice_rows(production, PAYMENT_RECEIVED, [order.reference])
        assert "Rasa did not answer" in (row.last_error or "")
        with production.shop.uow() as uow:
            assert uow.session.scalar(select(Order.status).where(Order.reference == order.reference)) == "paid"
        production.replicas.restart("bot-1")
        opening = "Payment received for {}"
        wait_for(lambda: said(production, [conversation], opening)[conversation] >= 1, 120, "the payment notice said")
    finally:
        for name in ("bot-1", "rasa-0"):
            if not production.replicas[name].running():
                production.replicas.restart(name, timeout=480)
    [row] = notice_rows(production, PAYMENT_RECEIVED, [order.reference])
    assert row.fired_at is not None and row.last_error is None
    print(f"payment notice delivered on attempt {row.attempts}")
    assert said(production, [conversation], "Payment received for {}") == Counter({conversation: 1})
