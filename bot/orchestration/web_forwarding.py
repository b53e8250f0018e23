"""Forwarding a web chat line to Rasa, again when the Rasa replica died under it.

Used by the web chat route (a shopper's new line) and by the sweeper (a line left without an outcome by
a crash, `bot.messaging.web_lines`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.adapters.rasa_client import RasaUnavailable

logger = logging.getLogger(__name__)

FORWARD_RETRY_SECONDS = (0.5, 2.0)  # waits before the second and third try
RASA_DOWN_REPLY = (
    "Sorry, I can't answer right now because part of our system is restarting. "
    "Please try again in a minute, or call us on {phone}."
)


async def forward_line(rasa: Any, conversation_id: str, text: str, message_id: str) -> None:
    """Forwards a shopper's line, again (same id) when the Rasa replica died under it.

    Behind nginx the next try reaches another replica, which finishes the turn: the side effects are
    keyed on the line's id and a turn already answered is not answered again (bot.messaging.turn_effects),
    so the shopper gets one outcome. Raises RasaUnavailable when every try failed; its `reached` is true
    when any try may have reached a replica that died under it (the turn may have run: not for an apology).
    """
    reached = False
    for wait in (*FORWARD_RETRY_SECONDS, None):
        try:
            await rasa.forward_webchat(conversation_id, text, message_id=message_id)
            return
        except RasaUnavailable as error:
            reached = reached or getattr(error, "reached", False)
            error.reached = reached
            if not error.retryable or wait is None:
                raise
            logger.warning("web chat line %s: Rasa went away (%s); forwarding it again", message_id, error)
            await asyncio.sleep(wait)
