"""Shopper lines that got no outcome at all (web chat and every messaging channel): found and handed to the assistant again.

A line is written to the transcript before anything else happens: a web chat line before the bot
server forwards it to Rasa, an SMS/WhatsApp/Messenger/Telegram line before the connector answers the
provider's webhook (`messaging.accept_inbound`). Its turn is recorded as finished together with its
replies (`turn_effects.finish_turn`). If the process handling it died (the bot server before
forwarding, the Rasa replica mid-turn), the line has neither a reply nor an apology: the sweeper finds
it here (older than UNANSWERED_AFTER, younger than LOOK_BACK) and hands it to Rasa again with its own
inbound id (`RasaClient.redrive_line`), so its side effects still happen once. A line is taken again
at most once (a timer row claims it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, select
from sqlalchemy.orm import aliased

from bot.kernel import clock
from bot.kernel.models import ChatMessage, Timer
from bot.kernel.timers import schedule_timer
from bot.kernel.unit_of_work import UnitOfWork
from bot.messaging.transcript import inbound_id_of, web_message_id
from bot.messaging.turn_effects import effect_key, turn_finished

UNANSWERED_AFTER = timedelta(seconds=20)  # longer than a turn normally takes, shorter than a shopper's patience
LOOK_BACK = timedelta(minutes=10)  # older lines are not answered out of the blue
# While no Rasa replica answers, a line is offered again at each sweep (another bot server may reach
# another replica, or the dead one comes back) for this long after it arrived; then the shopper gets the apology.
KEEP_TRYING_FOR = timedelta(minutes=3)
REDRIVE_TIMER = "web_line_redrive"  # the name of the first version, which took web lines only; rows exist
WEB_CHANNEL = "webchat"
# Web conversation ids are random UUIDs minted by the page; nothing else may pose as a web shopper.
# \Z, not $: "$" also matches before a trailing newline, which made "web-…\n" another conversation.
WEB_CONVERSATION_ID = re.compile(r"\Aweb-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


__all__ = ["UnansweredLine", "claim_unanswered_lines", "give_back", "web_message_id"]


@dataclass(frozen=True)
class UnansweredLine:
    line_id: int
    conversation_id: str
    channel: str
    text: str  # what the assistant is handed: the line as shown, or the button payload / location it stood for
    message_id: str  # the inbound id it was first handed to Rasa with (bot.messaging.transcript.inbound_id_of)
    received_at: datetime

    def worth_another_try(self, now: datetime | None = None) -> bool:
        return (now or clock.now()) - self.received_at < KEEP_TRYING_FOR


def claim_unanswered_lines(uow: UnitOfWork, now: datetime | None = None, limit: int = 20) -> list[UnansweredLine]:
    """Shopper lines with no reply, no apology and no finished turn, each claimed once for this sweeper; commits."""
    now = now or clock.now()
    later = aliased(ChatMessage)
    answered = exists().where(
        and_(later.conversation_id == ChatMessage.conversation_id, later.id > ChatMessage.id, later.author != "user")
    )
    # Followed by a later shopper line without any reply in between is still unanswered, but rare, and
    # answering it after a newer line would confuse more than it helps: only the newest line counts.
    newer_line = exists().where(
        and_(later.conversation_id == ChatMessage.conversation_id, later.id > ChatMessage.id, later.author == "user")
    )
    rows = uow.session.execute(
        select(ChatMessage.id, ChatMessage.conversation_id, ChatMessage.channel, ChatMessage.text, ChatMessage.payload, ChatMessage.created_at)
        .where(
            ChatMessage.author == "user",
            ChatMessage.created_at >= now - LOOK_BACK,
            ChatMessage.created_at <= now - UNANSWERED_AFTER,
            ~answered,
            ~newer_line,
        )
        .order_by(ChatMessage.id)
        .limit(limit)
    ).all()
    claimed = []
    for line_id, conversation_id, channel, text, payload, received_at in rows:
        message_id = inbound_id_of(line_id, payload)
        if turn_finished(uow, effect_key(conversation_id, message_id, "turn")):
            continue  # answered in silence (a person owns the conversation)
        if schedule_timer(uow, REDRIVE_TIMER, message_id, now, fired_at=now):
            claimed.append(UnansweredLine(line_id, conversation_id, channel, turn_text_of(text, payload), message_id, clock.as_utc(received_at)))
    uow.commit()
    return claimed


def give_back(uow: UnitOfWork, line: UnansweredLine) -> None:
    """Releases a claimed line (no Rasa replica took it): the next sweep, on any bot server, offers it again; commits."""
    uow.session.execute(delete(Timer).where(Timer.kind == REDRIVE_TIMER, Timer.subject == line.message_id))
    uow.commit()


def turn_text_of(text: str, payload: object) -> str:
    """What the assistant was handed for a shopper's line: the button payload or location intent it stood for, else its text."""
    if isinstance(payload, dict) and isinstance(payload.get("turn_text"), str):
        return str(payload["turn_text"])
    return text
