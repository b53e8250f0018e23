"""Finding a conversation for the agent console by the shopper's name, phone or an order reference.

The console's lists show only who is queued or spoke in the last hours; a shopper calling about an
order from last week is found here, through customers, their channel identities and orders.
"""

from __future__ import annotations

import re

from sqlalchemy import func, or_, select

from bot.kernel import clock
from bot.kernel.models import ChannelIdentity, ChatMessage, Customer, Order

from bot.handoff.reports import LiveConversation, last_user_line, shopper_label, user_line_count
from bot.kernel.unit_of_work import UnitOfWork, read_only

MAX_RESULTS = 20
MIN_DIGITS = 4  # fewer digits match half the phone book


@read_only
def find_conversations(uow: UnitOfWork, query: str, *, limit: int = MAX_RESULTS) -> list[LiveConversation]:
    """Conversations whose shopper's name or phone, or one of whose orders' reference, matches `query`;
    the most recently active first. An empty or one-character query finds nothing."""
    text = query.strip()[:60]
    if len(text) < 2:
        return []
    like = f"%{_escape_like(text.lower())}%"
    digits = re.sub(r"\D", "", text)
    customers = select(Customer.id).where(func.lower(Customer.display_name).like(like, escape="\\"))
    order_match = [func.lower(Order.reference).like(like, escape="\\")]
    if len(digits) >= MIN_DIGITS:
        # Typed as "07700 900123" or "+44 7700 900123": compare the national significant digits.
        tail = f"%{digits.lstrip('0')[-9:]}%"
        customers = customers.union(select(Customer.id).where(Customer.phone.like(tail)))
        order_match.append(Order.contact_phone.like(tail))
    customer_ids = customers.subquery()
    conversation_ids = set(
        uow.session.scalars(
            select(ChannelIdentity.conversation_id).where(ChannelIdentity.customer_id.in_(select(customer_ids.c.id)))
        ).all()
    )
    conversation_ids |= set(
        uow.session.scalars(
            select(Order.conversation_id).where(or_(*order_match, Order.customer_id.in_(select(customer_ids.c.id))))
        ).all()
    )
    if not conversation_ids:
        return []
    latest = uow.session.execute(
        select(ChatMessage.conversation_id, ChatMessage.channel, func.max(ChatMessage.created_at))
        .where(ChatMessage.conversation_id.in_(conversation_ids))
        .group_by(ChatMessage.conversation_id, ChatMessage.channel)
    ).all()
    newest: dict[str, tuple[str, object]] = {}
    for conversation_id, channel, last_at in latest:
        if conversation_id not in newest or clock.as_utc(last_at) > clock.as_utc(newest[conversation_id][1]):  # type: ignore[arg-type,operator]
            newest[conversation_id] = (channel, last_at)
    ranked = sorted(newest.items(), key=lambda item: clock.as_utc(item[1][1]), reverse=True)[:limit]  # type: ignore[arg-type,return-value]
    return [
        LiveConversation(
            conversation_id=conversation_id,
            channel=channel,
            shopper=shopper_label(uow, conversation_id),
            last_at=clock.as_utc(last_at),  # type: ignore[arg-type]
            last_message=last_user_line(uow, conversation_id),
            user_lines=user_line_count(uow, conversation_id),
        )
        for conversation_id, (channel, last_at) in ranked
    ]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
