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
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore, LockError

from bot.kernel import clock
from bot.handoff.sessions import people_owned_since

from bot.kernel.shop import Shop
from bot.messaging.transcript import sequence_shopper_line
from bot.messaging.turn_effects import effect_key, finish_turn, turn_finished

logger = logging.getLogger(__name__)

APOLOGY = (
    "Sorry, something went wrong on my side and I couldn't answer that. Please try again in a moment, "
    'type "help", or call us on {phone}.'
)


HandleMessage = Callable[[UserMessage], Awaitable[Any]]
# Connectors served without Rasa (their own tests) have no agent: their stand-in handler runs under this.
_LOCAL_LOCKS = InMemoryLockStore()


@asynccontextmanager
async def conversation_turn(app: Any, conversation_id: str, on_new_message: HandleMessage) -> AsyncIterator[HandleMessage]:
    """Holds the conversation's Rasa lock and yields how to handle a message inside it.

    Rasa's `Agent.handle_message` is "take the lock store's lock, then `processor.handle_message`".
    A connector that takes that same lock itself can do its own work in handling order, around the
    turn: record the shopper's line where the turn begins and the replies before the next turn starts
    (two lines sent at once through two replicas are handled in ticket order, not arrival order).
    """
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    if agent is None:
        async with _LOCAL_LOCKS.lock(conversation_id):
            yield on_new_message
        return

    async def handle_inside_lock(message: UserMessage) -> Any:
        if not agent.is_ready():
            raise RuntimeError("Rasa has no model loaded")
        return await agent.processor.handle_message(message)

    async with agent.lock_store.lock(conversation_id):
        yield handle_inside_lock


class CountsReplies(OutputChannel):
    """Base of our output channels: counts the replies Rasa sends through the channel."""

    replies_sent: int = 0

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.replies_sent += 1
        await super().send_response(recipient_id, message)

    async def finish(self, shop: Shop, turn_key: str | None) -> None:
        """Records that the turn ended (its replies are out), so the same line handled again is skipped."""
        await shop.call(finish_turn, self.name(), [], turn_key)


async def run_in_handling_order(
    shop: Shop,
    app: Any,
    on_new_message: HandleMessage,
    message: UserMessage,
    message_id: str | None,
    output: CountsReplies,
    apologise: bool = True,
    handed_back: bool = False,
) -> bool:
    """Runs one shopper line's turn holding the conversation's lock; False if that line was handled already.

    Args:
        handed_back: the line is handed over again by a sweeper (`/webhooks/webchat/redrive`). Its first
            turn may still be running and holding the lock: without the lock this raises LockError
            (the sweeper offers the line again later) instead of apologising next to that turn's reply.

    Under the lock, in this order: skip a line whose turn finished (handed over again after a crash);
    move the shopper's line to where its turn begins (it was recorded on arrival); the turn; its
    replies and the "finished" mark. The next line's turn cannot start before, so the transcript reads in
    handling order, and a line handled twice (same inbound id) gets one turn and one set of replies.
    """
    conversation_id = message.sender_id
    turn_key = effect_key(conversation_id, message_id, "turn")
    try:
        async with conversation_turn(app, conversation_id, on_new_message) as handle:
            if await shop.call(turn_finished, turn_key):
                return False
            if message_id:
                await shop.call(sequence_shopper_line, conversation_id, message_id)
            try:
                turn = handle(message)
                await (answer_or_apologise(shop, conversation_id, turn, output) if apologise else turn)
            finally:
                await output.finish(shop, turn_key)
    except LockError:  # the lock store (Redis) is unreachable: no turn ran, nothing was done
        if handed_back:
            raise
        logger.exception("no lock for %s; apologising", conversation_id)
        if apologise:
            await output.send_text_message(conversation_id, APOLOGY.format(phone=shop.settings.support_phone))
            await output.finish(shop, None)
    return True


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
