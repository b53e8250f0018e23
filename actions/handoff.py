"""Handing the shopper to a person, or taking a message for people when nobody can answer now.

A person is offered when it is within support hours and an agent is online; then the conversation
joins the queue and the assistant pauses (ConversationPaused) until an agent hands it back.
Otherwise the shopper hears why and may leave a message, which agents find in the console.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import button, conversation_channel, shop
from bot.services import handoff

MESSAGE_SLOT = "handoff_message"
LEAVE_MESSAGE_PAYLOAD = "/leave_message"
NO_THANKS_PAYLOAD = "/deny"
HANDING_OVER = (
    "I'm getting a person from our team to help you. The wait is {wait}. "
    "Anything you type now goes straight to them."
)
ALREADY_WAITING = "You're already through to our team - a person will reply here shortly."
OUTSIDE_HOURS = "Our team isn't around right now - they chat {hours}."
NO_AGENT_ONLINE = "Nobody from our team is free to chat right now."
OFFER_MESSAGE = "Would you like to leave a message? They'll reply to you here."
MESSAGE_TAKEN = "Thanks - I've passed your message on. Someone from our team will reply to you here{when}."


def _offer_message_buttons() -> list[dict[str, str]]:
    return [button("Leave a message", LEAVE_MESSAGE_PAYLOAD), button("No thanks", NO_THANKS_PAYLOAD)]


async def hand_to_person(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    reason: str,
    *,
    preface: str = "",
    extra_buttons: list[dict[str, str]] | None = None,
) -> list[EventType]:
    """Queues the conversation for a person and pauses the assistant, or offers to take a message.

    Returns [ConversationPaused()] when the shopper is (already) waiting for a person, else [].
    """
    conversation_id = tracker.sender_id
    lead = f"{preface} " if preface else ""
    existing = await shop().call(handoff.open_handoff, conversation_id)
    if existing is not None:
        dispatcher.utter_message(text=lead + ALREADY_WAITING)
        return [ConversationPaused()]
    policy = handoff.HandoffPolicy.from_env()
    available = await shop().call(handoff.availability, policy)
    if available.person_available:
        request = await shop().call(handoff.request_handoff, conversation_id, conversation_channel(tracker), reason)
        dispatcher.utter_message(text=lead + HANDING_OVER.format(wait=handoff.describe_wait(request.estimated_wait)))
        return [ConversationPaused()]
    if available.status == "outside_hours":
        why = OUTSIDE_HOURS.format(hours=available.hours.describe())
    else:
        why = NO_AGENT_ONLINE
    buttons = _offer_message_buttons() + list(extra_buttons or [])
    dispatcher.utter_message(text=f"{lead}{why} {OFFER_MESSAGE}", buttons=buttons)
    return []


class ActionRequestHuman(Action):
    """The shopper asked for a person."""

    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return await hand_to_person(dispatcher, tracker, handoff.ASKED_FOR_PERSON)


class ActionLeaveMessage(Action):
    """Runs when the leave-a-message form has the shopper's words: agents see them in the console."""

    def name(self) -> str:
        return "action_leave_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = (tracker.get_slot(MESSAGE_SLOT) or "").strip()
        if not text:
            dispatcher.utter_message(text="I didn't get a message to pass on. Ask for a person any time.")
            return [SlotSet(MESSAGE_SLOT, None)]
        # The words themselves are already in the transcript (the shopper's last line).
        await shop().call(handoff.leave_message, tracker.sender_id, conversation_channel(tracker))
        policy = handoff.HandoffPolicy.from_env()
        available = await shop().call(handoff.availability, policy)
        when = ""
        if available.status == "outside_hours" and available.next_opening is not None:
            when = " from " + available.next_opening.strftime("%A %H:%M").replace(" 0", " ")
        dispatcher.utter_message(text=MESSAGE_TAKEN.format(when=when))
        return [SlotSet(MESSAGE_SLOT, None)]
