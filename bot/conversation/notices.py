"""News pushed into a conversation from outside: the order is ready, a reminder, a payment landed or failed,
a refund, a hold that ran out. The bot server triggers an EXTERNAL_ intent with the order reference; the text
is composed now (today's hours, the hold) and said on the conversation's own channel.

Notices are delivered at least once (bot/ordering/notices.py): each carries a dedupe key, and a key this
conversation has said before is not said again. The keys are kept in the dialogue state, which Rasa saves
with the turn that said the notice, so "said" and "remembered as said" go together.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.kernel import clock
from bot.kernel.shop import Shop
from bot.languages import SUPPORTED
from bot.conversation.heard import Heard
from bot.conversation.state import DialogueState
from bot.conversation.turn import Turn
from bot.ordering.rules import OrderNotFound
from bot.ordering.notice_replies import format_notice
from bot.messaging.transcript import said_already
from bot.ordering.notices import KIND_BY_INTENT, NOTICE_ATTEMPT, NOTICE_FACTS
from bot.ordering.pickup_alerts import PickupNotice, pickup_notice

log = logging.getLogger(__name__)


def is_notice(intent: str | None) -> bool:
    return bool(intent) and intent.startswith("EXTERNAL_")  # type: ignore[union-attr]


async def tell(turn: Turn) -> None:
    """Says the notice once; a repeat delivery, an order that no longer needs it (or an unknown one) gets nothing."""
    intent = turn.heard.intent or ""
    reference = turn.heard.entity("order_reference")
    if not reference:
        log.warning("notice %s without an order reference", intent)
        return
    key = turn.heard.entity("notice_key")
    if key and key in turn.state.notices:
        log.info("notice %s delivered again to %s: already said", key, turn.conversation_id)
        return
    if key:
        # Noted as handled even when there is nothing to say (an unknown order): the outbox reads the
        # note in Rasa's answer as the acknowledgement, and retries a notice whose turn failed.
        turn.state = turn.state.noting(key)
    kind = KIND_BY_INTENT.get(intent)
    if kind is None:
        log.warning("unexpected notice intent %r", intent)
        return
    try:
        notice = carried_notice(turn.heard) or await turn.shop.call(pickup_notice, reference, clock.now())
    except OrderNotFound:
        log.warning("notice %s for unknown order %r", intent, reference)
        return
    text = format_notice(kind, notice, turn.heard.channel)
    if text and _redelivered(turn) and await turn.shop.call(said_already, turn.conversation_id, text):
        # The replica that said it died before saving the tracker that remembers the key (seen in the chaos run).
        log.info("notice %s delivered again to %s: already in the transcript", key, turn.conversation_id)
        return
    if text:
        turn.say(text)


def _redelivered(turn: Turn) -> bool:
    """A later delivery of the notice: only then can it have been said already (the first costs no look-up)."""
    attempt = turn.heard.entity(NOTICE_ATTEMPT) or "1"
    return not turn.heard.tapped and attempt.isdigit() and int(attempt) > 1


async def in_order_language(shop: Shop, heard: Heard, state: DialogueState) -> DialogueState:
    """The state a notice is said in: a conversation that remembers nothing (its tracker was lost, or never
    spoke) takes the language the order was placed in, rather than English."""
    reference = heard.entity("order_reference")
    if not is_notice(heard.intent) or not reference or replace(state, notices=()) != DialogueState():
        return state
    try:
        notice = carried_notice(heard) or await shop.call(pickup_notice, reference, clock.now())
    except OrderNotFound:
        return state
    return replace(state, language=notice.language) if notice.language in SUPPORTED else state


def carried_notice(heard: Heard) -> PickupNotice | None:
    """The notice's facts as the outbox read them when it claimed the notice (no second look-up), or None.

    Only a push through trigger_intent carries them: a shopper typing "/EXTERNAL_order_ready{...}" is a
    tapped payload, and what it claims is never repeated back.
    """
    carried = heard.entity(NOTICE_FACTS)
    if not carried or heard.tapped:
        return None
    try:
        return PickupNotice.from_entity(carried)
    except (ValueError, KeyError, TypeError):
        log.warning("notice facts that do not read: %.80s", carried)
        return None
