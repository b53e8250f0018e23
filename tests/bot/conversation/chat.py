"""A shopper talking to the conversation engine in-process: the NLU's part is given by the test (intent,
entities, FAQ topic), everything after it is the real engine on a real database."""

from __future__ import annotations

from typing import Any

from bot.conversation import DialogueState, Heard, Say, parse_payload, respond
from bot.kernel.shop import Shop

WEB = "web-00000000-0000-4000-8000-000000000001"
SMS = "sms:+447700900123"


class Chat:
    def __init__(self, shop: Shop, conversation_id: str = WEB, channel: str = "webchat") -> None:
        self.shop = shop
        self.conversation_id = conversation_id
        self.channel = channel
        self.state = DialogueState()
        self.replies: list[Say] = []
        self.paused = False

    async def say(
        self,
        text: str,
        intent: str | None = None,
        confidence: float = 0.9,
        entities: dict[str, str] | None = None,
        faq: tuple[str, float] | None = None,
        message_id: str | None = None,
    ) -> str:
        """Sends a typed line; returns everything the assistant said, joined (button titles in [ ])."""
        heard = Heard(
            text=text, intent=intent, confidence=confidence if intent else 0.0,
            ranking=((intent, confidence),) if intent else (), entities=dict(entities or {}),
            faq_topic=faq[0] if faq else None, faq_confidence=faq[1] if faq else 0.0,
            faq_ranking=(faq,) if faq else (), channel=self.channel, conversation_id=self.conversation_id,
            message_id=message_id,
        )
        return await self._turn(heard)

    async def tap(self, title: str) -> str:
        """Taps the button with this title in the last reply (sends its payload, as the web chat does)."""
        button = next(b for say in self.replies for b in say.buttons if b.title == title)
        intent, entities = parse_payload(button.payload) or ("", {})
        heard = Heard(text="", intent=intent, confidence=1.0, ranking=((intent, 1.0),), entities=entities, tapped=True,
                      channel=self.channel, conversation_id=self.conversation_id)
        return await self._turn(heard)

    async def notice(self, intent: str, **entities: Any) -> str:
        heard = Heard(text="", intent=intent, confidence=1.0, entities={k: str(v) for k, v in entities.items()},
                      channel=self.channel, conversation_id=self.conversation_id)
        return await self._turn(heard)

    async def _turn(self, heard: Heard) -> str:
        outcome = await respond(self.shop, heard, self.state)
        self.state, self.replies, self.paused = outcome.state, list(outcome.replies), outcome.pause
        return "\n".join(say.text + (f" [{' | '.join(b.title for b in say.buttons)}]" if say.buttons else "")
                         for say in outcome.replies)

    @property
    def buttons(self) -> list[str]:
        return [button.title for say in self.replies for button in say.buttons]
