"""Pushing an outside event (payment landed, hold expired) into a shopper's conversation.

Rasa's trigger_intent runs the EXTERNAL_… intent in that conversation, so the dialogue knows about it
and the reply goes out through the conversation's own channel; web chat streams are woken at once.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.adapters.rasa_client import RasaClient, RasaUnavailable
from bot.pubsub import ConversationSignals

logger = logging.getLogger(__name__)

# Orders and timers name channels as shoppers know them; Rasa names its input channels.
RASA_CHANNEL_NAMES = {"web": "webchat"}


class ConversationPush:
    def __init__(self, rasa: RasaClient, signals: ConversationSignals) -> None:
        self._rasa = rasa
        self._signals = signals

    async def external_event(
        self, conversation_id: str, channel: str, intent: str, entities: dict[str, Any] | None = None
    ) -> bool:
        """Runs `intent` in the conversation; False (and logged) when Rasa could not take it now."""
        try:
            await self._rasa.trigger_intent(
                conversation_id, intent, entities or {}, output_channel=RASA_CHANNEL_NAMES.get(channel, channel)
            )
        except RasaUnavailable:
            logger.exception("could not push %s into conversation %s", intent, conversation_id)
            return False
        await self._signals.publish(conversation_id)
        return True
