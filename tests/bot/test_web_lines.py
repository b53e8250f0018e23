"""Web chat lines left with no outcome by a crash are found once and handed to the assistant again."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import update

from bot.kernel.models import ChatMessage
from bot.orchestration.sweep import finish_unanswered_lines
from bot.messaging.transcript import messages_after, record_message
from bot.messaging.turn_effects import effect_key, finish_turn
from bot.messaging.web_lines import claim_unanswered_lines, web_message_id
from bot.kernel.shop import Shop
from tests.support.rasa_standin import RecordingRasa

NOW = datetime.now(timezone.utc)


def line(shop: Shop, conversation: str, text: str, age_seconds: float, author: str = "user") -> int:
    line_id = shop.run(record_message, conversation, "webchat", author, text)
    with shop.uow() as uow:
        uow.session.execute(update(ChatMessage).where(ChatMessage.id == line_id).values(created_at=NOW - timedelta(seconds=age_seconds)))
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

    claimed = shop.run(claim_unanswered_lines, NOW)
    assert [(c.line_id, c.conversation_id, c.text, c.message_id) for c in claimed] == [
        (lost, "web-a", "reserve 2 of those", f"webline-{lost}")
    ]
    assert shop.run(claim_unanswered_lines, NOW) == []  # another sweeper at the same time: nothing
    # Still unanswered 30 s later, the line that was being handled is taken (once) too.
    assert [c.line_id for c in shop.run(claim_unanswered_lines, NOW + timedelta(seconds=30))] == [pending]
    assert shop.run(claim_unanswered_lines, NOW + timedelta(seconds=60)) == []


async def test_the_sweeper_forwards_the_line_again_with_its_own_id(shop: Shop) -> None:
    lost = line(shop, "web-a", "reserve 2 of those", 60)
    rasa = RecordingRasa()
    ids: list[str | None] = []
    forward = rasa.forward_webchat

    async def recording(conversation_id, text, metadata=None, message_id=None):  # type: ignore[no-untyped-def]
        ids.append(message_id)
        await forward(conversation_id, text, metadata, message_id)

    rasa.forward_webchat = recording  # type: ignore[method-assign]
    await finish_unanswered_lines(SimpleNamespace(shop=shop, rasa=rasa))
    assert (rasa.forwarded, ids) == ([("web-a", "reserve 2 of those")], [f"webline-{lost}"])


async def test_with_rasa_down_the_shopper_gets_the_apology_instead_of_silence(shop: Shop) -> None:
    line(shop, "web-a", "reserve 2 of those", 60)

    class Down(RecordingRasa):
        async def forward_webchat(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            from bot.adapters.rasa_client import RasaUnavailable

            raise RasaUnavailable("Rasa answered 400", retryable=False)

    await finish_unanswered_lines(SimpleNamespace(shop=shop, rasa=Down()))
    texts = [(m.author, m.text) for m in shop.run(messages_after, "web-a")]
    assert texts[-1][0] == "bot" and texts[-1][1].startswith("Sorry, I can't answer right now")
