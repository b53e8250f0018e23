"""Handing conversations to people: the handoff state machine (its states and views are in `states`, waits in `waiting`).

States of a handoff session::

    waiting --take--> active --hand_back--> returned
       |                 \\--close-------> closed
       \\--close-----------------------------> closed
    message --take--> active ...          (a message left outside hours; agents see it later)
    message --close--> closed

At most one session per conversation is open (waiting or active): asking twice returns the same one.
Every transition is a conditional UPDATE (``... WHERE state = 'waiting'``) checked by its row count,
so two agents grabbing the same conversation at once cannot both win, on SQLite or PostgreSQL.
The Rasa side (pause/resume) and the shopper-facing messages are the callers' job.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from bot.kernel import clock
from bot.handoff.states import (
    ACTIVE,
    AGENT_TOOK_OVER,
    CLOSED,
    HandoffError,
    HandoffRequest,
    HandoffView,
    LEFT_MESSAGE,
    MESSAGE,
    OPEN_STATES,
    RETURNED,
    TakeResult,
    WAITING,
    view_of,
)
from bot.handoff.waiting import estimate_wait, queue_position
from bot.kernel.models import HandoffSession
from bot.kernel.unit_of_work import UnitOfWork, read_only


def open_handoff(uow: UnitOfWork, conversation_id: str) -> HandoffView | None:
    """The conversation's waiting or active session, if any (the oldest, should duplicates exist)."""
    row = uow.session.scalars(
        select(HandoffSession)
        .where(HandoffSession.conversation_id == conversation_id, HandoffSession.state.in_(OPEN_STATES))
        .order_by(HandoffSession.id)
        .limit(1)
    ).first()
    return view_of(row) if row is not None else None


@read_only
def people_owned_since(uow: UnitOfWork, conversation_id: str, since: datetime) -> bool:
    """Whether people own the conversation now, or did at any moment since `since`.

    A shopper's message that reached Rasa while an agent had it is logged and left unanswered; if the
    agent hands back before that turn ends, the session is already "returned" when the turn is judged.
    """
    rows = uow.session.scalars(select(HandoffSession).where(HandoffSession.conversation_id == conversation_id)).all()
    for row in rows:
        if row.state in OPEN_STATES:
            return True
        ended = clock.as_utc(row.ended_at)
        # A left message that nobody took never paused the assistant.
        paused = row.reason != LEFT_MESSAGE or row.taken_at is not None
        if paused and ended is not None and ended >= since:
            return True
    return False


@read_only
def get_handoff(uow: UnitOfWork, handoff_id: int) -> HandoffView:
    """Raises HandoffError("not_found") when there is no such session."""
    row = uow.session.get(HandoffSession, handoff_id)
    if row is None:
        raise HandoffError("not_found", f"handoff {handoff_id} does not exist")
    return view_of(row)


def request_handoff(
    uow: UnitOfWork, conversation_id: str, channel: str, reason: str, *, now: datetime | None = None
) -> HandoffRequest:
    """Puts a conversation in the queue for a person; idempotent while one is open.

    Raises:
        HandoffError("invalid"): empty conversation id or channel, or a reason longer than 60 characters.
    """
    _check_names(conversation_id, channel, reason)
    now = now or clock.now()
    _lock_conversation(uow, conversation_id)
    existing = open_handoff(uow, conversation_id)
    if existing is not None:
        return HandoffRequest(existing, False, queue_position(uow, existing), estimate_wait(uow, existing, now=now))
    row = HandoffSession(conversation_id=conversation_id, channel=channel, state=WAITING, reason=reason, requested_at=now)
    uow.session.add(row)
    uow.session.flush()
    view = view_of(row)
    uow.commit()
    return HandoffRequest(view, True, queue_position(uow, view), estimate_wait(uow, view, now=now))


def leave_message(uow: UnitOfWork, conversation_id: str, channel: str, *, now: datetime | None = None) -> HandoffView:
    """Records that the shopper left a message for agents (the words are in the transcript).

    Raises:
        HandoffError("invalid"): empty conversation id or channel.
    """
    _check_names(conversation_id, channel, LEFT_MESSAGE)
    row = HandoffSession(
        conversation_id=conversation_id, channel=channel, state=MESSAGE, reason=LEFT_MESSAGE, requested_at=now or clock.now()
    )
    uow.session.add(row)
    uow.session.flush()
    view = view_of(row)
    uow.commit()
    return view


def take_conversation(
    uow: UnitOfWork,
    agent_id: int,
    *,
    handoff_id: int | None = None,
    conversation_id: str | None = None,
    channel: str | None = None,
    now: datetime | None = None,
) -> TakeResult:
    """Gives a conversation to one agent; of several agents taking it at once exactly one wins.

    Pass `handoff_id` to take a queued session (waiting, or a left message), or `conversation_id`
    (with its `channel`) to take over a live conversation: its open session is taken, or one is opened
    for it with reason "agent_took_over".

    Raises:
        HandoffError: not_found (no such session), ended (returned or closed), invalid (neither id given).
    """
    now = now or clock.now()
    if handoff_id is None:
        if not conversation_id or not channel:
            raise HandoffError("invalid", "give a handoff id, or a conversation id and its channel")
        handoff_id = request_handoff(uow, conversation_id, channel, AGENT_TOOK_OVER, now=now).handoff.id
    target = get_handoff(uow, handoff_id)
    if target.state == MESSAGE:
        # Answering a left message opens a live session (or joins the one a colleague just opened).
        # The shopper has been waiting since they left the message: the live session starts then, so its
        # wait (and the console's figures) counts from the message, not from the moment it was answered.
        _transition(uow, handoff_id, (MESSAGE,), state=CLOSED, ended_at=now, resolved_by="agent", agent_id=agent_id)
        handoff_id = request_handoff(
            uow, target.conversation_id, target.channel, LEFT_MESSAGE, now=min(now, target.requested_at)
        ).handoff.id
    claimed = uow.session.execute(
        update(HandoffSession)
        .where(HandoffSession.id == handoff_id, HandoffSession.state == WAITING, HandoffSession.agent_id.is_(None))
        .values(state=ACTIVE, agent_id=agent_id, taken_at=now)
    ).rowcount
    uow.commit()
    current = get_handoff(uow, handoff_id)
    if claimed == 1:
        return TakeResult("taken", current)
    if current.state == ACTIVE:
        return TakeResult("already_yours" if current.agent_id == agent_id else "taken_by_other", current)
    raise HandoffError("ended", f"handoff {handoff_id} is {current.state}; it cannot be taken")


def hand_back(uow: UnitOfWork, handoff_id: int, agent_id: int, *, now: datetime | None = None) -> HandoffView:
    """The owning agent returns the conversation to the assistant (active -> returned).

    Raises:
        HandoffError: not_found, not_yours (another agent owns it), invalid_state (not active).
    """
    current = get_handoff(uow, handoff_id)
    if current.state != ACTIVE:
        raise HandoffError("invalid_state", f"only an active conversation can be handed back; this one is {current.state}")
    if current.agent_id != agent_id:
        raise HandoffError("not_yours", "another agent owns this conversation")
    now = now or clock.now()
    if not _transition(uow, handoff_id, (ACTIVE,), owner=agent_id, state=RETURNED, ended_at=now, resolved_by="agent"):
        raise HandoffError("invalid_state", "the conversation changed meanwhile; reload it")
    return get_handoff(uow, handoff_id)


def close_handoff(uow: UnitOfWork, handoff_id: int, agent_id: int, *, now: datetime | None = None) -> HandoffView:
    """Ends a session: the owner closes an active one; any agent closes a waiting one or a left message.

    Raises:
        HandoffError: not_found, not_yours, invalid_state (already returned or closed).
    """
    current = get_handoff(uow, handoff_id)
    if current.state not in (WAITING, ACTIVE, MESSAGE):
        raise HandoffError("invalid_state", f"this conversation is already {current.state}")
    if current.state == ACTIVE and current.agent_id != agent_id:
        raise HandoffError("not_yours", "another agent owns this conversation")
    now = now or clock.now()
    owner = agent_id if current.state == ACTIVE else None
    changed = _transition(
        uow, handoff_id, (current.state,), owner=owner, state=CLOSED, ended_at=now, resolved_by="agent",
        agent_id=agent_id,
    )
    if not changed:
        raise HandoffError("invalid_state", "the conversation changed meanwhile; reload it")
    return get_handoff(uow, handoff_id)


def _lock_conversation(uow: UnitOfWork, conversation_id: str) -> None:
    """Serialises handoff requests of one conversation until commit, so two cannot both open a session.

    SQLite transactions already start with BEGIN IMMEDIATE (one writer at a time); PostgreSQL gets a
    transaction-scoped advisory lock keyed by the conversation id.
    """
    if uow.session.get_bind().dialect.name == "postgresql":
        uow.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(conversation_id))))


def _transition(
    uow: UnitOfWork, handoff_id: int, from_states: tuple[str, ...], *, owner: int | None = None, **values: object
) -> bool:
    """Applies `values` only if the session is still in `from_states` (and owned by `owner`, if given)."""
    statement = update(HandoffSession).where(HandoffSession.id == handoff_id, HandoffSession.state.in_(from_states))
    if owner is not None:
        statement = statement.where(HandoffSession.agent_id == owner)
    changed = uow.session.execute(statement.values(**values)).rowcount
    uow.commit()
    return changed == 1


def _check_names(conversation_id: str, channel: str, reason: str) -> None:
    if not conversation_id or len(conversation_id) > 160:
        raise HandoffError("invalid", "conversation id must be 1-160 characters")
    if not channel or len(channel) > 20:
        raise HandoffError("invalid", "channel must be 1-20 characters")
    if not reason or len(reason) > 60:
        raise HandoffError("invalid", "reason must be 1-60 characters")
