"""A shopper's turn never ends in silence.

When Rasa cannot run an action (the action server is down or failing) it logs the error, drops the
action's events and listens again: the shopper would hear nothing. Every connector runs its turns
through `answer_or_apologise`, which notices a turn that produced no reply and apologises on the
same channel, except while people own the conversation (the assistant is meant to be silent then).
A turn's replies all pass through the output channel it was given, so counting them there tells
whether the turn said anything without reading the transcript twice per message.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable

from rasa.core.channels.channel import OutputChannel

from bot.kernel import clock
from bot.handoff.sessions import people_owned_since

from bot.kernel.shop import Shop

logger = logging.getLogger(__name__)

APOLOGY = (
    "Sorry, something went wrong on my side and I couldn't answer that. Please try again in a moment, "
    'type "help", or call us on {phone}.'
)


class CountsReplies(OutputChannel):
    """Base of our output channels: counts the replies Rasa sends through the channel."""

    replies_sent: int = 0

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.replies_sent += 1
        await super().send_response(recipient_id, message)


async def answer_or_apologise(shop: Shop, conversation_id: str, turn: Awaitable[Any], output: CountsReplies) -> None:
    """Awaits the Rasa turn; if it failed or said nothing and no person owned the conversation meanwhile, apologises."""
    before, started = output.replies_sent, clock.now()
    try:
        await turn
    except Exception:  # noqa: BLE001 - whatever broke, the shopper still hears from us
        logger.exception("turn in %s failed", conversation_id)
    if output.replies_sent > before:
        return
    # "Since the turn started", not "now": an agent may hand back while a message they were meant to
    # answer is still in Rasa (the assistant was paused for it), and the shopper got a false apology.
    if await shop.call(people_owned_since, conversation_id, started):
        return
    logger.warning("turn in %s produced no reply; apologising", conversation_id)
    await output.send_text_message(conversation_id, APOLOGY.format(phone=shop.settings.support_phone))
