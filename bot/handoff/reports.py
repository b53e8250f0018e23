"""What the agent console reads: the queue, live conversations, one conversation in full, and figures.

Read-only queries over handoff sessions, the transcript, identities, carts and orders. Card numbers
are masked again on the way out (lines stored before masking existed, or written by other paths).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.kernel import clock
from bot.kernel.card_masking import mask_card_numbers
from bot.handoff.support_hours import SupportHours
from bot.kernel.models import Agent, ChannelIdentity, ChatMessage, Customer, HandoffSession, Order
from bot.ordering.rules import MixedCurrencies
from bot.ordering.cart import view_cart
from bot.handoff.states import (
    ACTIVE,
    AGENT_TOOK_OVER,
    MESSAGE,
    OPEN_STATES,
    REASON_LABELS,
    WAITING,
    HandoffView,
    view_of,
)
from bot.handoff.sessions import open_handoff
from bot.ordering.orders import order_json, orders_for_conversation
from bot.messaging.transcript import messages_after
from bot.kernel.unit_of_work import UnitOfWork, read_only

LIVE_WITHIN = timedelta(hours=2)
RESOLUTION_PERIOD = timedelta(days=7)


@dataclass(frozen=True)
class QueueItem:
    handoff_id: int
    conversation_id: str
    channel: str
    state: str
    reason: str
    reason_label: str
    shopper: str
    agent_name: str | None
    requested_at: datetime
    wait_seconds: int  # waited so far (waiting, message) or before being taken (active)
    last_message: str
    user_lines: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "handoff_id": self.handoff_id,
            "conversation_id": self.conversation_id,
            "channel": self.channel,
            "state": self.state,
            "reason": self.reason,
            "reason_label": self.reason_label,
            "shopper": self.shopper,
            "agent_name": self.agent_name,
            "requested_at": self.requested_at.isoformat(),
            "wait_seconds": self.wait_seconds,
            "last_message": self.last_message,
            "user_lines": self.user_lines,
        }


@dataclass(frozen=True)
class LiveConversation:
    conversation_id: str
    channel: str
    shopper: str
    last_at: datetime
    last_message: str
    user_lines: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "channel": self.channel,
            "shopper": self.shopper,
            "last_at": self.last_at.isoformat(),
            "last_message": self.last_message,
            "user_lines": self.user_lines,
        }


@dataclass(frozen=True)
class HandoffFigures:
    waiting_now: int
    active_now: int
    messages_waiting: int
    median_wait_seconds: int | None  # sessions taken today
    handoffs_today: int
    resolved_by_assistant: int  # conversations in the period never handed to people
    resolved_by_agents: int  # conversations in the period an agent took
    period_days: int

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def shopper_label(uow: UnitOfWork, conversation_id: str) -> str:
    """Who the shopper is, as far as we know: name and phone (of the linked customer, else of the
    conversation's latest order), else the channel address, else "Web visitor" and a short id."""
    row = uow.session.execute(
        select(Customer.display_name, Customer.phone, ChannelIdentity.external_id)
        .join(Customer, Customer.id == ChannelIdentity.customer_id)
        .where(ChannelIdentity.conversation_id == conversation_id)
        .limit(1)
    ).first()
    known = [part for part in (row[0], row[1]) if part] if row is not None else []
    if not known:
        # An unlinked web chat that ordered left a phone (and maybe a customer) with the order.
        ordered = uow.session.execute(
            select(Customer.display_name, Customer.phone, Order.contact_phone)
            .select_from(Order)
            .outerjoin(Customer, Customer.id == Order.customer_id)
            .where(Order.conversation_id == conversation_id)
            .order_by(Order.id.desc())
            .limit(1)
        ).first()
        if ordered is not None:
            known = [part for part in (ordered[0], ordered[1] or ordered[2]) if part]
    if known:
        return " · ".join(known)
    if row is not None:
        return str(row[2])
    if conversation_id.startswith("web-"):
        return f"Web visitor {conversation_id[4:12]}"
    return conversation_id.partition(":")[2] or conversation_id


def user_line_count(uow: UnitOfWork, conversation_id: str) -> int:
    """How many lines the shopper wrote: the console counts unread lines against it."""
    return int(
        uow.session.scalar(
            select(func.count()).where(ChatMessage.conversation_id == conversation_id, ChatMessage.author == "user")
        )
        or 0
    )


def last_user_line(uow: UnitOfWork, conversation_id: str) -> str:
    text = uow.session.scalars(
        select(ChatMessage.text)
        .where(ChatMessage.conversation_id == conversation_id, ChatMessage.author == "user")
        .order_by(ChatMessage.id.desc())
        .limit(1)
    ).first()
    return mask_card_numbers(text or "")


@read_only
def list_queue(uow: UnitOfWork, *, now: datetime | None = None) -> list[QueueItem]:
    """Waiting sessions (oldest first), then active ones, then messages left for agents."""
    now = now or clock.now()
    rows = uow.session.execute(
        select(HandoffSession, Agent.display_name)
        .outerjoin(Agent, Agent.id == HandoffSession.agent_id)
        .where(HandoffSession.state.in_((WAITING, ACTIVE, MESSAGE)))
        .order_by(HandoffSession.requested_at, HandoffSession.id)
    ).all()
    order = {WAITING: 0, ACTIVE: 1, MESSAGE: 2}
    items = []
    for row, agent_name in sorted(rows, key=lambda pair: order[pair[0].state]):
        view = view_of(row)
        waited_until = view.taken_at if view.state == ACTIVE and view.taken_at else now
        items.append(
            QueueItem(
                handoff_id=view.id,
                conversation_id=view.conversation_id,
                channel=view.channel,
                state=view.state,
                reason=view.reason,
                reason_label=REASON_LABELS.get(view.reason, view.reason),
                shopper=shopper_label(uow, view.conversation_id),
                agent_name=agent_name if view.state == ACTIVE else None,
                requested_at=view.requested_at,
                wait_seconds=max(0, int((waited_until - view.requested_at).total_seconds())),
                last_message=last_user_line(uow, view.conversation_id),
                user_lines=user_line_count(uow, view.conversation_id),
            )
        )
    return items


@read_only
def live_conversations(
    uow: UnitOfWork, *, now: datetime | None = None, within: timedelta = LIVE_WITHIN, limit: int = 20
) -> list[LiveConversation]:
    """Conversations with recent messages and no open handoff or left message, newest first: ones an agent may take over."""
    now = now or clock.now()
    latest = (
        select(ChatMessage.conversation_id, func.max(ChatMessage.id).label("last_id"))
        .where(ChatMessage.created_at >= now - within)
        .group_by(ChatMessage.conversation_id)
        .subquery()
    )
    # A left message is in the queue already: listing it here too showed the same shopper twice.
    open_conversations = select(HandoffSession.conversation_id).where(HandoffSession.state.in_((*OPEN_STATES, MESSAGE)))
    rows = uow.session.scalars(
        select(ChatMessage)
        .join(latest, ChatMessage.id == latest.c.last_id)
        .where(ChatMessage.conversation_id.not_in(open_conversations))
        .order_by(ChatMessage.id.desc())
        .limit(limit)
    ).all()
    return [
        LiveConversation(
            conversation_id=row.conversation_id,
            channel=row.channel,
            shopper=shopper_label(uow, row.conversation_id),
            last_at=clock.as_utc(row.created_at),  # type: ignore[arg-type]
            last_message=last_user_line(uow, row.conversation_id),
            user_lines=user_line_count(uow, row.conversation_id),
        )
        for row in rows
    ]


@read_only
def handoff_figures(uow: UnitOfWork, hours: SupportHours, *, now: datetime | None = None) -> HandoffFigures:
    """Waiting now, median wait and handoffs today (support time zone), and who resolved conversations
    over the last RESOLUTION_PERIOD."""
    now = now or clock.now()
    local_now = now.astimezone(hours.zone)
    start_of_today = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    session = uow.session
    counts = dict(
        session.execute(
            select(HandoffSession.state, func.count()).where(HandoffSession.state.in_((WAITING, ACTIVE, MESSAGE)))
            .group_by(HandoffSession.state)
        ).all()
    )
    today = session.execute(
        select(HandoffSession.requested_at, HandoffSession.taken_at, HandoffSession.state, HandoffSession.reason).where(
            HandoffSession.requested_at >= start_of_today
        )
    ).all()
    # A conversation an agent took over of their own accord never waited: counting its 0 s would drag
    # the median to nothing. A left message answered later did wait, from when it was left.
    waits = [
        (clock.as_utc(taken) - clock.as_utc(requested)).total_seconds()  # type: ignore[operator]
        for requested, taken, _state, reason in today
        if taken is not None and reason != AGENT_TOOK_OVER
    ]
    since = now - RESOLUTION_PERIOD
    talked = set(
        session.scalars(select(ChatMessage.conversation_id).where(ChatMessage.created_at >= since).distinct()).all()
    )
    handed = dict(
        session.execute(
            select(HandoffSession.conversation_id, func.max(HandoffSession.taken_at))
            .where(HandoffSession.requested_at >= since)
            .group_by(HandoffSession.conversation_id)
        ).all()
    )
    by_agents = {conversation for conversation, taken in handed.items() if taken is not None}
    return HandoffFigures(
        waiting_now=int(counts.get(WAITING, 0)),
        active_now=int(counts.get(ACTIVE, 0)),
        messages_waiting=int(counts.get(MESSAGE, 0)),
        median_wait_seconds=int(statistics.median(waits)) if waits else None,
        handoffs_today=sum(1 for _requested, _taken, state, _reason in today if state != MESSAGE),
        resolved_by_assistant=len(talked - set(handed)),
        resolved_by_agents=len(by_agents),
        period_days=RESOLUTION_PERIOD.days,
    )


@read_only
def conversation_overview(uow: UnitOfWork, conversation_id: str) -> dict[str, Any]:
    """One conversation for the console: transcript (masked), open handoff, shopper, cart and orders."""
    lines = []
    after = 0
    while True:
        batch = messages_after(uow, conversation_id, after, limit=500)
        lines.extend(batch)
        if len(batch) < 500:
            break
        after = batch[-1].id
    handoff = open_handoff(uow, conversation_id) or _latest_handoff(uow, conversation_id)
    agent_name = None
    if handoff is not None and handoff.agent_id is not None:
        agent = uow.session.get(Agent, handoff.agent_id)
        agent_name = agent.display_name if agent is not None else None
    channel = lines[-1].channel if lines else (handoff.channel if handoff else "")
    return {
        "conversation_id": conversation_id,
        "channel": channel,
        "shopper": shopper_label(uow, conversation_id),
        "handoff": _handoff_json(handoff, agent_name),
        "messages": [transcript_json(line) for line in lines],
        "cart": _cart_json(uow, conversation_id),
        "orders": [order_json(order) for order in orders_for_conversation(uow, conversation_id)],
    }


def transcript_json(line: Any) -> dict[str, Any]:
    """A transcript line as the console shows it (people's text masked, author, time).

    The assistant's own lines are shown as written: they hold pay links and references, never a card.
    """
    data = line.as_json()
    data["text"] = (data["text"] or "") if line.author == "bot" else mask_card_numbers(data["text"] or "")
    data["channel"] = line.channel
    return data


def _latest_handoff(uow: UnitOfWork, conversation_id: str) -> HandoffView | None:
    row = uow.session.scalars(
        select(HandoffSession)
        .where(HandoffSession.conversation_id == conversation_id)
        .order_by(HandoffSession.id.desc())
        .limit(1)
    ).first()
    return view_of(row) if row is not None else None


def _handoff_json(handoff: HandoffView | None, agent_name: str | None) -> dict[str, Any] | None:
    if handoff is None:
        return None
    return {
        "id": handoff.id,
        "state": handoff.state,
        "reason": handoff.reason,
        "reason_label": REASON_LABELS.get(handoff.reason, handoff.reason),
        "agent_id": handoff.agent_id,
        "agent_name": agent_name,
        "requested_at": handoff.requested_at.isoformat(),
        "taken_at": handoff.taken_at.isoformat() if handoff.taken_at else None,
    }


def _cart_json(uow: UnitOfWork, conversation_id: str) -> dict[str, Any]:
    try:
        cart = view_cart(uow, conversation_id)
    except MixedCurrencies:
        return {"lines": [], "total_minor": 0, "currency": None, "error": "cart mixes currencies"}
    return {
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "colour": line.colour,
                "size": line.size,
                "quantity": line.quantity,
                "line_total_minor": line.line_total_minor,
                "currency": line.currency,
            }
            for line in cart.lines
        ],
        "total_minor": cart.total_minor,
        "currency": cart.currency,
    }

