"""What happens around a handoff transition, outside the database: Rasa pause/resume and messages out.

The console routes call these; the state machine itself is `bot.handoff.sessions`. An agent's
reply goes out through the conversation's own channel:

* web chat: a transcript line (author "agent"); the page's stream picks it up at once via the signal;
* SMS, WhatsApp, Messenger, Instagram, Telegram: the channel's sender from `bot.messaging.channels.registry`
  (provider API, or the outbox without credentials) through `ConversationOutlet`, which also writes
  the transcript line and applies opt-out and 24-hour-window rules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping, Protocol

from bot.funnel.facts import HANDOFFS, TAG_FIELD, handoff_key
from bot.funnel.facts import tag as funnel_tag
from bot.messaging.channels.conversation import ConversationOutlet
from bot.messaging.channels.registry import build_sender
from bot.messaging.channels.types import ChannelSender, OutboundText
from bot.handoff import sessions as handoff
from bot.handoff import states
from bot.handoff.agents import get_agent
from bot.identity.customers import WEB_CHANNEL, parse_conversation_id
from bot.messaging.transcript import record_message
from bot.kernel.shop import Shop

logger = logging.getLogger(__name__)

HANDED_BACK_MESSAGE = (
    "You're back with the {retailer} assistant. Ask me anything - your basket and orders are just as you left them."
)
# Longer agent replies are refused by the console rather than silently split or cut.
MAX_AGENT_REPLY_CHARS = 1600


class Signals(Protocol):
    async def publish(self, conversation_id: str) -> None:
        ...


class AssistantControl(Protocol):
    """The two Rasa calls a handoff needs (RasaClient implements them)."""

    async def pause_conversation(self, conversation_id: str, metadata: dict[str, Any] | None = None) -> object:
        ...

    async def resume_conversation(self, conversation_id: str) -> object:
        ...


@dataclass(frozen=True)
class Delivery:
    """status: delivered (web), or the channel send status: sent, outbox, opted_out, blocked_window, retrying, failed."""

    status: str
    reason: str = ""


class HandoffDesk:
    """The console's side effects: pause/resume the assistant and send lines to the shopper."""

    def __init__(
        self,
        shop: Shop,
        assistant: AssistantControl,
        signals: Signals,
        senders: Mapping[str, ChannelSender] | None = None,
    ) -> None:
        self.shop = shop
        self.assistant = assistant
        self.signals = signals
        self._senders: dict[str, ChannelSender] = dict(senders or {})

    def sender(self, channel: str) -> ChannelSender:
        if channel not in self._senders:
            self._senders[channel] = build_sender(self.shop, channel)
        return self._senders[channel]

    async def send_to_shopper(self, conversation_id: str, channel: str, text: str, *, author: str = "agent") -> Delivery:
        """Sends one line to the shopper through the conversation's channel and records it in the transcript.

        Raises:
            ValueError: the text is empty or longer than MAX_AGENT_REPLY_CHARS, or the conversation id
                does not name an address on `channel`.
        """
        text = text.strip()
        if not text or len(text) > MAX_AGENT_REPLY_CHARS:
            raise ValueError(f"a reply must be 1 to {MAX_AGENT_REPLY_CHARS} characters")
        if channel == WEB_CHANNEL:
            # The page labels the line with the agent's display name (shoppers saw "Support team" only).
            name = await self._agent_name(conversation_id) if author == "agent" else None
            await self.shop.call(record_message, conversation_id, channel, author, text, {"agent": name} if name else None)
            await self.signals.publish(conversation_id)
            return Delivery("delivered")
        target = parse_conversation_id(conversation_id)
        if target.channel != channel:
            raise ValueError(f"conversation {conversation_id!r} is not on {channel}")
        outlet = ConversationOutlet(self.shop, self.sender(channel))
        message = OutboundText(channel, target.address, text, conversation_id)
        results = await outlet.deliver(conversation_id, [message], transcript_text=text, author=author)
        await self.signals.publish(conversation_id)
        result = results[0]
        return Delivery(result.status, result.reason)

    async def take(
        self,
        agent_id: int,
        *,
        handoff_id: int | None = None,
        conversation_id: str | None = None,
        channel: str | None = None,
    ) -> states.TakeResult:
        """Gives the conversation to the agent (exactly one of several wins) and silences the assistant.

        Raises:
            HandoffError: see `bot.handoff.sessions.take_conversation`.
        """
        result = await self.shop.call(
            handoff.take_conversation, agent_id, handoff_id=handoff_id, conversation_id=conversation_id, channel=channel
        )
        if result.status == "taken":
            await self._pause(result.handoff)
            await self._announce(result.handoff, "joined")
            await self.signals.publish(result.handoff.conversation_id)
        return result

    async def hand_back(self, agent_id: int, handoff_id: int) -> states.HandoffView:
        """Returns the conversation to the assistant and tells the shopper.

        Raises:
            HandoffError: see `bot.handoff.sessions.hand_back`.
        """
        ended = await self.shop.call(handoff.hand_back, handoff_id, agent_id)
        await self._resume(ended.conversation_id)
        await self._announce(ended, "left")
        text = HANDED_BACK_MESSAGE.format(retailer=self.shop.settings.retailer_name)
        await self.send_to_shopper(ended.conversation_id, ended.channel, text, author="bot")
        return ended

    async def close(self, agent_id: int, handoff_id: int) -> states.HandoffView:
        """Ends the session; a paused assistant is resumed so the shopper's next message is answered.

        Raises:
            HandoffError: see `bot.handoff.sessions.close_handoff`.
        """
        before = await self.shop.call(handoff.get_handoff, handoff_id)
        ended = await self.shop.call(handoff.close_handoff, handoff_id, agent_id)
        if before.state in states.OPEN_STATES:
            await self._resume(ended.conversation_id)
        if before.state == states.ACTIVE:
            await self._announce(ended, "left")
        await self.signals.publish(ended.conversation_id)
        return ended

    async def _agent_name(self, conversation_id: str) -> str | None:
        owned = await self.shop.call(handoff.open_handoff, conversation_id)
        if owned is None or owned.agent_id is None:
            return None
        agent = await self.shop.call(get_agent, owned.agent_id)
        return agent.display_name if agent else None

    async def _announce(self, session: states.HandoffView, event: str) -> None:
        """"Sam Taylor joined the chat" / "… left the chat" in the web chat (a texted line would cost the shopper)."""
        if session.channel != WEB_CHANNEL or session.agent_id is None:
            return
        agent = await self.shop.call(get_agent, session.agent_id)
        name = agent.display_name if agent else "Our team"
        text = f"{name} {event} the chat"
        await self.shop.call(record_message, session.conversation_id, session.channel, "bot", text, {"event": event, "agent": name})

    async def _pause(self, session: handoff.HandoffView) -> None:
        # The pause carries the session's funnel tag: a shopper's request already tagged it (counted once),
        # an agent taking over a live conversation is a handoff of its own.
        tags = {TAG_FIELD: [funnel_tag(HANDOFFS, handoff_key(session.id))]}
        try:
            await self.assistant.pause_conversation(session.conversation_id, tags)
        except Exception:  # noqa: BLE001 - the agent still owns it; a down Rasa answers nobody anyway
            logger.exception("could not pause the assistant in a conversation taken by an agent")

    async def _resume(self, conversation_id: str) -> None:
        try:
            await self.assistant.resume_conversation(conversation_id)
        except Exception:  # noqa: BLE001 - logged; the agent can hand back again once Rasa is up
            logger.exception("could not resume the assistant in a handed-back conversation")
