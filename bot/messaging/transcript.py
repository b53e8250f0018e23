"""The conversation transcript: what the shopper, the assistant and agents said, in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from bot.kernel.card_masking import mask_card_numbers
from bot.kernel.models import ChatMessage
from bot.kernel.unit_of_work import UnitOfWork, read_only

AUTHORS = frozenset({"user", "bot", "agent"})


@dataclass(frozen=True)
class TranscriptLine:
    id: int
    conversation_id: str
    channel: str
    author: str
    text: str
    payload: dict[str, Any] | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "author": self.author,
            "text": self.text,
            "payload": self.payload,
            "created_at": self.created_at.isoformat(),
        }


def record_message(
    uow: UnitOfWork,
    conversation_id: str,
    channel: str,
    author: str,
    text: str,
    payload: dict[str, Any] | None = None,
) -> int:
    """Appends one line to a conversation's transcript and returns its id (ids only grow).

    Card numbers in what people wrote (shoppers, agents) are masked before it is stored: transcripts
    are read by agents. The assistant's own lines are stored as written (pay links hold long digit runs).
    """
    return record_messages(uow, channel, author, [(conversation_id, text, payload)])[0]


def record_messages(
    uow: UnitOfWork, channel: str, author: str, lines: Sequence[tuple[str, str, dict[str, Any] | None]]
) -> list[int]:
    """Appends several lines (conversation id, text, payload), in order, in one transaction; returns their ids."""
    # One INSERT each, so ids follow the order of the lines.
    ids = [add_line(uow.session, conversation_id, channel, author, text, payload) for conversation_id, text, payload in lines]
    uow.commit()
    return ids


def add_line(session: Session, conversation_id: str, channel: str, author: str, text: str, payload: dict[str, Any] | None = None) -> int:
    """Adds one transcript row in the caller's transaction (no commit) and returns its id: the one place a
    line is written, so every line gets the same checks and masking.

    Card numbers in what people wrote (shoppers, agents) are masked before it is stored: transcripts
    are read by agents. The assistant's own lines are stored as written (pay links hold long digit runs).
    """
    if author not in AUTHORS:
        raise ValueError(f"author must be one of {sorted(AUTHORS)}, got {author!r}")
    stored = mask_card_numbers(text or "") if author != "bot" else text
    inserted = session.execute(insert(ChatMessage).values(conversation_id=conversation_id, channel=channel, author=author, text=stored, payload=payload))
    return int(inserted.inserted_primary_key[0])


@read_only
def messages_after(uow: UnitOfWork, conversation_id: str, after_id: int = 0, limit: int = 200) -> list[TranscriptLine]:
    """Transcript lines newer than `after_id`, oldest first: a reconnecting client resumes from its last id."""
    rows = uow.session.scalars(
        select(ChatMessage)
        .where(ChatMessage.conversation_id == conversation_id, ChatMessage.id > after_id)
        .order_by(ChatMessage.id)
        .limit(limit)
    )
    return [
        TranscriptLine(
            id=int(row.id),
            conversation_id=row.conversation_id,
            channel=row.channel,
            author=row.author,
            text=row.text,
            payload=row.payload,
            created_at=row.created_at,
        )
        for row in rows
    ]


@read_only
def said_already(uow: UnitOfWork, conversation_id: str, text: str) -> bool:
    """Whether the assistant has already said exactly `text` in the conversation (as the transcript keeps it)."""
    return uow.session.scalar(
        select(ChatMessage.id)
        .where(ChatMessage.conversation_id == conversation_id, ChatMessage.author == "bot", ChatMessage.text == mask_card_numbers(text))
        .limit(1)
    ) is not None


@read_only
def transcript_line(uow: UnitOfWork, line_id: int) -> TranscriptLine | None:
    """One line by its id; None when there is no such row (a shopper's line moved by its turn has a new id)."""
    row = uow.session.get(ChatMessage, line_id)
    if row is None:
        return None
    return TranscriptLine(int(row.id), row.conversation_id, row.channel, row.author, row.text, row.payload, row.created_at)


# How far back a resent line is looked for: a page resends within minutes, never after dozens of lines.
RESEND_WINDOW = 50


def record_shopper_line_once(
    uow: UnitOfWork, conversation_id: str, channel: str, text: str, client_id: str | None
) -> tuple[int, bool]:
    """Records a shopper's line unless the page already sent it (same `client_id`); returns (id, recorded now).

    A page that lost the answer to its request cannot tell whether the line arrived, so it sends it again
    with the same id: the shopper must not see it twice, nor the assistant answer it twice.
    """
    if client_id:
        for row in _recent_shopper_lines(uow, conversation_id):
            if isinstance(row.payload, dict) and row.payload.get("client_id") == client_id:
                return int(row.id), False
    line_id = record_messages(uow, channel, "user", [(conversation_id, text, {"client_id": client_id} if client_id else None)])[0]
    row = uow.session.get(ChatMessage, line_id)
    row.payload = {**(row.payload or {}), "inbound_id": web_message_id(line_id)}
    uow.commit()
    return line_id, True


def web_message_id(line_id: int) -> str:
    """A web chat line's inbound message id: its transcript row at arrival, which exists before Rasa sees the line."""
    return f"webline-{line_id}"


def inbound_id_of(line_id: int, payload: Any) -> str:
    """The inbound message id a shopper's line is handled under (kept when the line is moved)."""
    if isinstance(payload, dict) and isinstance(payload.get("inbound_id"), str):
        return str(payload["inbound_id"])
    return web_message_id(line_id)  # web lines recorded before ids were kept in the payload


def sequence_shopper_line(uow: UnitOfWork, conversation_id: str, inbound_id: str) -> int | None:
    """Puts a shopper's line where its turn begins: called when the turn holds the conversation's lock; commits.

    Lines are recorded when they arrive (durable before anything else happens), but two lines sent at
    the same instant through two replicas are handled in whichever order the lock store gives them.
    Recorded in arrival order, the transcript read "A, B, reply to B, reply to A". So when anything was
    written after the line by the time its turn starts, the line moves to the end: a new row (the page
    and the console see `moved_from` and move its bubble), the old row deleted, in one transaction.
    Returns the line's id now, or None when no recent line of the conversation has that inbound id.
    """
    row = next(
        (line for line in _recent_shopper_lines(uow, conversation_id) if inbound_id_of(int(line.id), line.payload) == inbound_id),
        None,
    )
    if row is None:
        return None
    newest = uow.session.scalar(select(ChatMessage.id).where(ChatMessage.conversation_id == conversation_id).order_by(ChatMessage.id.desc()).limit(1))
    if newest == row.id:
        return int(row.id)
    payload = {**(row.payload or {}), "inbound_id": inbound_id, "moved_from": int(row.id)}
    moved = uow.session.execute(
        insert(ChatMessage).values(
            conversation_id=row.conversation_id, channel=row.channel, author="user", text=row.text, payload=payload, created_at=row.created_at
        )
    )
    uow.session.execute(delete(ChatMessage).where(ChatMessage.id == row.id))
    uow.commit()
    return int(moved.inserted_primary_key[0])


def _recent_shopper_lines(uow: UnitOfWork, conversation_id: str) -> Any:
    return uow.session.scalars(
        select(ChatMessage)
        .where(ChatMessage.conversation_id == conversation_id, ChatMessage.author == "user")
        .order_by(ChatMessage.id.desc())
        .limit(RESEND_WINDOW)
    )
