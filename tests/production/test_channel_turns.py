"""An SMS line whose Rasa replica is killed mid-turn still gets one reply, and its basket add happens once.

The connector answers Twilio's webhook as soon as the line is recorded, then runs the turn. Before,
nothing handed the line to the assistant again when the replica died: the basket add could be saved
(the action runs on a bot server, in a thread that outlives the dropped request) and the shopper heard
nothing. Now a sweeper finds the line unanswered and hands it to a Rasa replica again under the same
MessageSid, so the add is not repeated and the shopper gets the reply.
"""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from twilio.request_validator import RequestValidator
from urllib.parse import urlencode

from bot.ordering.cart import view_cart
from bot.messaging.transcript import messages_after
from bot.messaging.turn_effects import effect_key
from tests.production.conftest import SHOP_SMS_NUMBER, TWILIO_AUTH_TOKEN, Production

pytestmark = [pytest.mark.production, pytest.mark.e2e]

APOLOGIES = ("Sorry, something went wrong", "Sorry, I can't answer right now")


def text_in(production: Production, replica: str, phone: str, body: str, message_sid: str) -> None:
    """The shopper texts the shop: Twilio's webhook, signed by the twilio library's own validator."""
    url = f"{production.url(replica)}/webhooks/sms/webhook"
    params = {"MessageSid": message_sid, "From": phone, "To": SHOP_SMS_NUMBER, "Body": body, "NumMedia": "0"}
    signature = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(url, params)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    reply = httpx.post(url, content=urlencode(params).encode(), headers=headers, timeout=60)
    assert reply.status_code == 200, reply.text  # acknowledged once the line is recorded, before the turn


def texts_to(production: Production, phone: str) -> list[str]:
    return [message.field("Body") or "" for message in production.twilio.messages if message.field("To") == phone]


def wait_for(condition, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what}: not after {timeout:.0f} s"
        time.sleep(0.2)
    return result


@pytest.mark.timeout(1500)  # ends by restarting the killed replica: a model load, minutes on a busy machine
def test_an_sms_line_whose_rasa_replica_is_killed_mid_turn_gets_one_reply_and_adds_once(production: Production) -> None:
    phone = f"+447700900{uuid.uuid4().int % 1000:03d}"  # Ofcom's drama range: valid, never a real phone
    conversation = f"sms:{phone}"
    text_in(production, "rasa-0", phone, "do you have the trailblazer boots in brown size 9 at arndale?", f"SM{uuid.uuid4().hex}")
    stock_answer = wait_for(lambda: texts_to(production, phone), 180, "the stock answer")
    assert not stock_answer[0].startswith(APOLOGIES), f"the first line was not answered, so nothing is in focus: {stock_answer}"

    # The add of the next line is held mid-transaction, as a row lock would hold it: this connection
    # inserts the add's own effect key first and keeps its transaction open.
    reserve_sid = f"SM{uuid.uuid4().hex}"
    engine = create_engine(production.env["SHOP_DATABASE_URL"], future=True, poolclass=NullPool)
    holder = engine.connect()
    hold = holder.begin()
    holder.execute(
        text("INSERT INTO turn_effects (key, created_at) VALUES (:key, now())"),
        {"key": effect_key(conversation, reserve_sid, "add#1")},
    )
    answered_before = len(texts_to(production, phone))
    try:
        sender = threading.Thread(target=text_in, args=(production, "rasa-0", phone, "reserve 2 of those", reserve_sid))
        sender.start()
        sender.join(60)
        wait_for(lambda: _add_waiting_on_lock(engine), 120, "the basket add reaching the held row")
        production.replicas.kill("rasa-0")  # mid-turn: Rasa waits for the action, which waits for the row
    finally:
        hold.rollback()  # the held add goes on and commits: the dead replica never hears of it
        holder.close()
    try:
        wait_for(lambda: _basket(production, conversation), 60, "the add committed after the kill")
        # No reply yet (the replica died before sending one); a sweeper hands the line to Rasa again.
        replies = wait_for(lambda: texts_to(production, phone)[answered_before:], 240, "a reply to 'reserve 2 of those'")
        lines = production.shop.run(messages_after, conversation)
    finally:
        production.replicas.restart("rasa-0", timeout=480)
        engine.dispose()

    assert _basket(production, conversation) == [("FS-BOOT-TRB-BRN-9", 2)], "added exactly once"
    assert not any(reply.startswith(APOLOGIES) for reply in replies), replies
    said = "\n".join(replies)
    assert "Your basket:" in said and "2× Trailblazer" in said, replies
    shopper_lines = [line.text for line in lines if line.author == "user"]
    assert shopper_lines.count("reserve 2 of those") == 1
    # Exactly one reply: the turn's messages once, none twice (the redriven turn is the only one that spoke);
    # each SMS is its transcript line with the options numbered under it.
    after = [line.text for line in lines[[line.text for line in lines].index("reserve 2 of those") + 1:]]
    assert len(after) == len(replies) and len(set(after)) == len(after), (after, replies)
    assert all(sms.startswith(line) for sms, line in zip(replies, after)), (after, replies)


def _add_waiting_on_lock(engine) -> bool:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                " AND query ILIKE '%turn_effects%'"
            )
        ).scalar_one()
    return waiting > 0


def _basket(production: Production, conversation: str) -> list[tuple[str, int]]:
    cart = production.shop.run(view_cart, conversation)
    return [(line.sku, line.quantity) for line in cart.lines] if cart is not None else []

