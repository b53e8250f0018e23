"""The bridge from Rasa to the conversation engine: every shopper message and every pushed notice runs
`action_respond`, which hands the tracker's latest message and the remembered dialogue state to
`bot.conversation.respond` and sends back what it says. No dialogue logic lives here."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import conversation_channel, shop
from bot.conversation import DialogueState, Heard, respond
from bot.funnel.facts import TAG_FIELD
from bot.identity.customers import WEB_CHANNEL

STATE_SLOT = "dialogue"
FAQ = "faq"


def heard_from(tracker: Tracker) -> Heard:
    """The latest message as the engine reads it (a tapped button's payload carries no words of its own)."""
    latest: dict[str, Any] = tracker.latest_message or {}
    text = str(latest.get("text") or "")
    intent = latest.get("intent") or {}
    entities: dict[str, str] = {}
    for entity in latest.get("entities") or []:
        name, value = entity.get("entity"), entity.get("value")
        if name and value is not None and name not in entities:
            entities[str(name)] = str(value)
    selector = ((latest.get("response_selector") or {}).get(FAQ) or {})
    response = selector.get("response") or {}
    return Heard(
        text="" if text.startswith("/") else text,
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        ranking=tuple((str(i.get("name")), float(i.get("confidence") or 0.0)) for i in latest.get("intent_ranking") or []),
        entities=entities,
        faq_topic=response.get("intent_response_key"),
        faq_confidence=float(response.get("confidence") or 0.0),
        faq_ranking=tuple(
            (str(r.get("intent_response_key")), float(r.get("confidence") or 0.0)) for r in selector.get("ranking") or []
        ),
        tapped=text.startswith("/"),
        channel=conversation_channel(tracker),
        conversation_id=tracker.sender_id,
        message_id=inbound_message_id(tracker),
    )


def inbound_message_id(tracker: Tracker) -> str | None:
    """The id of the message this turn answers (the provider's id, or the web chat line's).

    Rasa keeps it on the user event, not in `latest_message`; side effects are keyed on it so the same
    message handled again after a crash does not add or order twice.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            message_id = event.get("message_id")
            return str(message_id) if message_id else None
    return None


class ActionRespond(Action):
    def name(self) -> str:
        return "action_respond"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        before = tracker.get_slot(STATE_SLOT)
        heard = heard_from(tracker)
        outcome = await respond(shop(), heard, DialogueState.from_json(before))
        for number, say in enumerate(outcome.replies):
            # A card rides along as Rasa's "custom" part of the same message (web chat only; see Turn.say). On the
            # web it also carries the conversation's language, which the chat page's own words follow.
            card = {**(say.card or {}), "language": outcome.state.language} if heard.channel == WEB_CHANNEL else say.card
            # The turn's funnel tags ride on its first reply: Rasa keeps unknown keys as the bot event's
            # metadata and publishes them with it (bot/funnel/facts.py reads them from the event stream).
            tags = {TAG_FIELD: list(outcome.funnel)} if number == 0 and outcome.funnel else {}
            dispatcher.utter_message(
                text=say.text, buttons=[button.as_dict() for button in say.buttons], json_message=card, **tags
            )
        events: list[EventType] = []
        after = outcome.state.to_json()
        if after != before:
            events.append(SlotSet(STATE_SLOT, after))
        if outcome.pause:
            events.append(ConversationPaused())
        return events
