"""A recording stand-in for the bot server's RasaClient, for tests that serve the bot server alone."""

from __future__ import annotations

from typing import Any

from bot.adapters.rasa_client import RasaUnavailable
from bot.kernel.inbound_text import MAX_INBOUND_CHARS


class RecordingRasa:
    """Records what the bot server hands to Rasa; refuses what Rasa's web chat channel refuses."""

    def __init__(self) -> None:
        self.forwarded: list[tuple[str, str]] = []
        self.calls: list[tuple[str, str]] = []

    async def forward_webchat(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None, message_id: str | None = None
    ) -> None:
        if not text.strip() or len(text) > MAX_INBOUND_CHARS:
            # connectors/webchat.py answers 400, which RasaClient reports as RasaUnavailable.
            raise RasaUnavailable("Rasa answered 400 to /webhooks/webchat/webhook")
        self.forwarded.append((conversation_id, text))

    async def redrive_line(self, line_id: int) -> dict[str, Any]:
        self.calls.append(("redrive", str(line_id)))
        return {"status": "processed"}

    async def trigger_intent(self, conversation_id: str, intent: str, entities: dict[str, Any] | None = None, output_channel: str = "latest") -> dict[str, Any]:
        self.calls.append(("trigger_intent", conversation_id))
        return {}

    async def pause_conversation(self, conversation_id: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        self.calls.append(("pause", conversation_id))
        return {}

    async def resume_conversation(self, conversation_id: str) -> dict[str, Any]:
        self.calls.append(("resume", conversation_id))
        return {}

    async def close(self) -> None:
        return None
