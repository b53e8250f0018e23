"""Shopper lines (web chat and messaging channels) left with no outcome by a crash are found once and handed to the assistant again."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import select, update

from bot.adapters.rasa_client import RasaUnavailable
from bot.kernel.models import ChatMessage, OutboundMessage
from bot.orchestration.sweep import finish_unanswered_lines
from bot.messaging.transcript import messages_after, record_message
from bot.messaging.turn_effects import effect_key, finish_turn
from bot.messaging.web_lines import claim_unanswered_lines, web_message_id
from bot.kernel.shop import Shop
from tests.support.rasa_standin import RecordingRasa

NOW = datetime.now(timezone.utc)


def wall_clock() -> datetime:
    """What the sweeper reads; NOW is import time, many minutes ago late in a long run (past LOOK_BACK)."""
    return datetime.now(timezone.utc)


def line(
    shop: Shop, conversation: str, text: str, age_seconds: float, author: str = "user", channel: str = "webchat",
    payload: dict | None = None, now: datetime = NOW,
) -> int:
    line_id = shop.run(record_message, conversation, channel, author, text, payload)
    with shop.uow() as uow:
        uow.session.execute(update(ChatMessage).where(ChatMessage.id == line_id).values(created_at=now - timedelta(seconds=age_seconds)))
        uow.commit()
    return line_id


def test_only_lines_with_no_outcome_are_claimed_and_each_only_once(shop: Shop) -> None:
    lost = line(shop, "web-a", "reserve 2 of those", 60)  # the forwarder died before forwarding it
    line(shop, "web-b", "hi", 60)
    line(shop, "web-b", "Hello! How can I help?", 59, author="bot")  # answered
    line(shop, "web-c", "hi", 60)
    line(shop, "web-c", "Sorry, I can't answer right now", 59, author="bot")  # apologised: the shopper knows
    pending = line(shop, "web-d", "checkout", 5)  # still being handled
    line(shop, "web-e", "hello?", 3600)  # too old to answer out of the blue
    silent = line(shop, "web-f", "are you there", 60)  # answered in silence: an agent owns the conversation
    shop.run(finish_turn, "webchat", [], effect_key("web-f", web_message_id(silent), "turn"))

    # An SMS line whose Rasa replica died mid-turn; its location stands for a "/share_location" turn.
    texted = line(shop, "sms:+447700900001", "[shared a location]", 60, channel="sms",
                  payload={"inbound_id": "SM0001", "turn_text": '/share_location{"latitude": 53.48}'})
    stop = line(shop, "sms:+447700900002", "STOP", 60, channel="sms", payload={"inbound_id": "SM0002"})
    shop.run(finish_turn, "sms", [], effect_key("sms:+447700900002", "SM0002", "turn"))  # no turn needed (connectors' no_turn)
    assert stop

    claimed = shop.run(claim_unanswered_lines, NOW)
    assert [(c.line_id, c.conversation_id, c.channel, c.text, c.message_id) for c in claimed] == [
        (lost, "web-a", "webchat", "reserve 2 of those", f"webline-{lost}"),
        (texted, "sms:+447700900001", "sms", '/share_location{"latitude": 53.48}', "SM0001"),
    ]
    assert shop.run(claim_unanswered_lines, NOW) == []  # another sweeper at the same time: nothing
    # Still unanswered 30 s later, the line that was being handled is taken (once) too.
    assert [c.line_id for c in shop.run(claim_unanswered_lines, NOW + timedelta(seconds=30))] == [pending]
    assert shop.run(claim_unanswered_lines, NOW + timedelta(seconds=60)) == []


async def test_the_sweeper_hands_the_line_to_rasa_again_by_its_row(shop: Shop) -> None:
    lost = line(shop, "web-a", "reserve 2 of those", 60, now=wall_clock())
    rasa = RecordingRasa()
    await finish_unanswered_lines(SimpleNamespace(shop=shop, rasa=rasa))
    assert rasa.calls == [("redrive", str(lost))]  # Rasa reads text, channel and inbound id from the row


async def test_while_no_rasa_replica_answers_the_line_is_offered_again_at_the_next_sweep(shop: Shop) -> None:
    """Paired with a dead replica, one bot server cannot re-drive it; another one (or a later sweep) can."""
    lost = line(shop, "sms:+447700900001", "do you have boots", 60, channel="sms", payload={"inbound_id": "SM0001"}, now=wall_clock())
    await finish_unanswered_lines(SimpleNamespace(shop=shop, rasa=Down()))
    assert [m.author for m in shop.run(messages_after, "sms:+447700900001")] == ["user"]  # no apology yet
    rasa = RecordingRasa()
    await finish_unanswered_lines(SimpleNamespace(shop=shop, rasa=rasa))
    assert rasa.calls == [("redrive", str(lost))]


async def test_with_rasa_down_for_minutes_the_shopper_gets_the_apology_instead_of_silence(shop: Shop) -> None:
    line(shop, "web-a", "reserve 2 of those", 200, now=wall_clock())
    line(shop, "sms:+447700900001", "do you have boots", 200, channel="sms", payload={"inbound_id": "SM0001"}, now=wall_clock())

    await finish_unanswered_lines(SimpleNamespace(shop=shop, rasa=Down()))
    for conversation in ("web-a", "sms:+447700900001"):
        texts = [(m.author, m.text) for m in shop.run(messages_after, conversation)]
        assert texts[-1][0] == "bot" and texts[-1][1].startswith("Sorry, I can't answer right now"), conversation
    with shop.uow() as uow:  # the SMS apology went out on SMS (the outbox: no Twilio credentials here)
        sent = uow.session.execute(select(OutboundMessage.channel, OutboundMessage.body).where(OutboundMessage.recipient == "+447700900001")).all()
    assert [(channel, body[:30]) for channel, body in sent] == [("sms", "Sorry, I can't answer right no")]


class Down(RecordingRasa):
    async def redrive_line(self, line_id: int):  # type: ignore[no-untyped-def]
        raise RasaUnavailable("Rasa did not answer", retryable=True)
