"""Side effects once per inbound message: a turn handled again does not add or order again.

A shopper's message can be handled twice with the same inbound message id (the provider's message id,
or the id the web chat gives each line): its turn was cut off by a crash after the action had committed,
and the message is handed to the assistant again. Each side-effecting step takes an effect key built from
the conversation, that message id and the step ("add#1", "order#1"); `first_time` records it in the
caller's transaction, which then commits it together with the effect. The second handling finds the key
and answers from what the first one did instead of doing it again.

Rows are only needed while a message can still be handled again (minutes); `forget_old` prunes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from typing import Any, Sequence

from sqlalchemy import delete, select, update

from bot.kernel import clock
from bot.kernel.models import TurnEffect
from bot.kernel.db import insert_if_absent
from bot.messaging.transcript import record_messages
from bot.kernel.unit_of_work import UnitOfWork

KEEP_FOR = timedelta(days=2)


def effect_key(conversation_id: str, message_id: str | None, effect: str) -> str | None:
    """The key of one effect of one inbound message; None when the message has no id (nothing to repeat)."""
    if not message_id:
        return None
    return f"{conversation_id}|{message_id}|{effect}"[:400]


def first_time(uow: UnitOfWork, key: str | None, now: datetime | None = None) -> bool:
    """Records the effect in the caller's transaction (no commit); False if it was done before.

    Concurrent handlings of the same message race on the primary key: the second waits for the first
    transaction and then finds the row, so exactly one of them does the effect.
    """
    if key is None:
        return True
    return insert_if_absent(uow.session, TurnEffect, {"key": key, "created_at": now or clock.now()})


def remember_result(uow: UnitOfWork, key: str | None, result: str) -> None:
    """Keeps what the effect made (e.g. the order reference), in the caller's transaction."""
    if key is not None:
        uow.session.execute(update(TurnEffect).where(TurnEffect.key == key).values(result=result[:200]))


def earlier_result(uow: UnitOfWork, key: str | None) -> str | None:
    if key is None:
        return None
    return uow.session.scalar(select(TurnEffect.result).where(TurnEffect.key == key))


def turn_finished(uow: UnitOfWork, key: str | None) -> bool:
    """True when the turn with this key already ended with its replies recorded (`finish_turn`)."""
    return key is not None and uow.session.get(TurnEffect, key) is not None


def finish_turn(
    uow: UnitOfWork, channel: str, lines: Sequence[tuple[str, str, dict[str, Any] | None]], key: str | None
) -> list[int]:
    """Records a turn's replies and, in the same transaction, that the turn is finished; commits.

    A message forwarded again after its forwarder died (same id) then gets no second turn: its replies
    are already in the transcript the shopper reads.
    """
    first_time(uow, key)
    if lines:
        return record_messages(uow, channel, "bot", lines)
    uow.commit()
    return []


def forget_old(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Deletes effect rows older than KEEP_FOR; commits. Returns how many."""
    cutoff = (now or clock.now()) - KEEP_FOR
    deleted = uow.session.execute(delete(TurnEffect).where(TurnEffect.created_at < cutoff)).rowcount
    uow.commit()
    return int(deleted or 0)
