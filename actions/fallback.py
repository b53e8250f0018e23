"""What the assistant does when it did not understand: ask to rephrase once, then bring in a person.

The second miss in a row hands the conversation to a person when one is available (the assistant
pauses), else says nobody can answer now and offers to leave a message, alongside the help options.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import button
from actions.handoff import hand_to_person
from bot.services.handoff import NOT_UNDERSTOOD

FALLBACK_ACTION = "action_handle_fallback"
REPHRASE = "Sorry, I didn't quite get that. Could you say it another way?"
STILL_LOST = "Sorry, I'm still not getting it."
HELP_BUTTONS = [
    button("Check stock", "/check_stock"),
    button("Opening hours", "/ask_hours"),
    button("Nearest store", "/ask_nearest_store"),
]


def previous_turn_was_fallback(tracker: Tracker) -> bool:
    """True when the assistant's reply to the shopper's previous message was also a fallback."""
    user_turns_seen = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            user_turns_seen += 1
            if user_turns_seen == 2:
                return False
        elif event.get("event") == "action" and user_turns_seen == 1:
            if event.get("name") == FALLBACK_ACTION:
                return True
    return False


class ActionHandleFallback(Action):
    def name(self) -> str:
        return FALLBACK_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.active_loop_name:
            # The form asks its question again right after this; no need for a menu mid-question.
            dispatcher.utter_message(text="Sorry, I didn't catch that.")
            return []
        if previous_turn_was_fallback(tracker):
            return await hand_to_person(dispatcher, tracker, NOT_UNDERSTOOD, preface=STILL_LOST, extra_buttons=HELP_BUTTONS)
        dispatcher.utter_message(text=REPHRASE)
        return []
