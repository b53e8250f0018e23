"""A shopper's turn never ends in silence.

When Rasa cannot run an action (the action server is down or failing) it logs the error, drops the
action's events and listens again: the shopper would hear nothing. Every connector runs its turns
through `answer_or_apologise`, which notices a turn that produced no reply and apologises on the
same channel, except while people own the conversation (the assistant is meant to be silent then).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable

from rasa.core.channels.channel import OutputChannel

from bot.services.handoff import open_handoff
from bot.services.transcript import answered_since, last_line_id
from bot.shop import Shop

logger = logging.getLogger(__name__)

APOLOGY = (
    "Sorry, something went wrong on my side and I couldn't answer that. Please try again in a moment, "
    'type "help", or call us on {phone}.'
)


async def answer_or_apologise(shop: Shop, conversation_id: str, turn: Awaitable[Any], output: OutputChannel) -> None:
    """Awaits the Rasa turn; if it said nothing and no person owns the conversation, apologises."""
    before = await shop.call(last_line_id, conversation_id)
    await turn
    if await shop.call(answered_since, conversation_id, before):
        return
    if await shop.call(open_handoff, conversation_id) is not None:
        return
    logger.warning("turn in %s produced no reply; apologising", conversation_id)
    await output.send_text_message(conversation_id, APOLOGY.format(phone=shop.settings.support_phone))
