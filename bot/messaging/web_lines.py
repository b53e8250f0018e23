"""Web chat lines that got no outcome at all: found and handed to the assistant again.

A web chat line is written to the transcript before it is forwarded to Rasa, so it is durable before
the page gets its answer. Its turn is recorded as finished together with its replies
(`turn_effects.finish_turn`). If the bot server died between writing the line and forwarding it, or
the forwarder and its Rasa replica both died, the line has neither a reply nor an apology: the sweeper
finds it here (older than UNANSWERED_AFTER, younger than LOOK_BACK) and forwards it again with its own
inbound id, so its side effects still happen once. A line is taken again at most once (a timer row claims it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased

from bot.kernel import clock
from bot.kernel.models import ChatMessage
from bot.kernel.timers import schedule_timer
from bot.messaging.turn_effects import effect_key, turn_finished
from bot.kernel.unit_of_work import UnitOfWork

UNANSWERED_AFTER = timedelta(seconds=20)  # longer than a turn normally takes, shorter than a shopper's patience
LOOK_BACK = timedelta(minutes=10)  # older lines are not answered out of the blue
REDRIVE_TIMER = "web_line_redrive"
WEB_CHANNEL = "webchat"
# Web conversation ids are random UUIDs minted by the page; nothing else may pose as a web shopper.
# \Z, not $: "$" also matches before a trailing newline, which made "web-…\n" another conversation.
WEB_CONVERSATION_ID = re.compile(r"\Aweb-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


@dataclass(frozen=True)
class UnansweredLine:
    line_id: int
    conversation_id: str
    text: str

    @property
    def message_id(self) -> str:
        return web_message_id(self.line_id)


def web_message_id(line_id: int) -> str:
    """A web chat line's inbound message id: its transcript row, which exists before Rasa sees the line."""
    return f"webline-{line_id}"


def claim_unanswered_lines(uow: UnitOfWork, now: datetime | None = None, limit: int = 20) -> list[UnansweredLine]:
    """Web lines with no reply, no apology and no finished turn, each claimed once for this sweeper; commits."""
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
        select(ChatMessage.id, ChatMessage.conversation_id, ChatMessage.text)
        .where(
            ChatMessage.channel == WEB_CHANNEL,
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
    for line_id, conversation_id, text in rows:
        if turn_finished(uow, effect_key(conversation_id, web_message_id(line_id), "turn")):
            continue  # answered in silence (a person owns the conversation)
        if schedule_timer(uow, REDRIVE_TIMER, str(line_id), now, fired_at=now):
            claimed.append(UnansweredLine(line_id, conversation_id, text))
    uow.commit()
    return claimed
