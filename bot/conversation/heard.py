"""What the shopper sent, as the NLU understood it: the words, the intent, the entities, the FAQ topic.

Built by the Rasa action from the tracker (actions/conversation.py) or by tests directly, so the engine
never touches Rasa's objects. A tapped button arrives as its payload ("/choose_payment{...}"), which
Rasa parses into an intent with entities; a typed option is turned into the same thing by the engine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

_PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z_][\w/]*)(?P<entities>\{.*\})?\s*$", re.S)


@dataclass(frozen=True)
class Heard:
    """One inbound message.

    Attributes:
        text: the shopper's own words ("" when they tapped a button and typed nothing).
        intent: the intent name, or None when NLU gave none.
        confidence: the intent's confidence, 0..1 (1.0 for a tapped button).
        ranking: other likely intents with their confidences, best first.
        entities: entity name -> the first value found (NLU or the button payload).
        faq_topic / faq_confidence / faq_ranking: the support topic ("returns") when the intent is `faq`.
        tapped: the message came from a button.
        channel / conversation_id: where it came from.
        message_id: the inbound message's id (the provider's, or the web chat line's); the same when a
            message is handled again after a crash, so side effects are keyed on it (turn.effect_key).
    """

    text: str
    intent: str | None = None
    confidence: float = 0.0
    ranking: tuple[tuple[str, float], ...] = ()
    entities: dict[str, str] = field(default_factory=dict)
    faq_topic: str | None = None
    faq_confidence: float = 0.0
    faq_ranking: tuple[tuple[str, float], ...] = ()
    tapped: bool = False
    channel: str = "webchat"
    conversation_id: str = ""
    message_id: str | None = None

    def entity(self, name: str) -> str | None:
        return self.entities.get(name)

    def as_payload(self, payload: str) -> "Heard":
        """This message read as if the shopper had tapped the button that sends `payload`."""
        parsed = parse_payload(payload)
        if parsed is None:
            return self
        intent, entities = parsed
        return replace(self, intent=intent, confidence=1.0, ranking=((intent, 1.0),), entities=entities, tapped=True)


def parse_payload(payload: str) -> tuple[str, dict[str, str]] | None:
    """'/choose_payment{"payment_method":"link"}' -> ("choose_payment", {"payment_method": "link"})."""
    match = _PAYLOAD.match(payload.strip())
    if not match:
        return None
    entities: dict[str, str] = {}
    if match.group("entities"):
        try:
            raw = json.loads(match.group("entities"))
        except ValueError:
            return None
        if not isinstance(raw, dict):
            return None
        entities = {str(key): str(value) for key, value in raw.items() if value is not None}
    return match.group("intent"), entities


def payload(intent: str, **entities: Any) -> str:
    """The payload a button sends: "/intent" or "/intent{...}" (what Rasa parses without NLU)."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps({key: str(value) for key, value in entities.items()}, separators=(',', ':'))}"
