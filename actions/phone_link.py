"""Linking a web (or Messenger/Telegram) chat to the shopper's phone, so their basket and orders follow them.

The form asks for the number, texts a code to it, and takes the code back. `phone_link_status` tells the
closing action how it went: "linked" when the code was right, "stopped" when the shopper gave up or can't
get a code now (the validators then end the form early by setting requested_slot to None).
On SMS and WhatsApp the chat already comes from the phone, so the form asks nothing.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions._common import latest_text, on_phone_channel, shop
from bot.services.cart import view_cart
from bot.services.identity import DEFAULT_REGION, InvalidPhoneNumber
from bot.services.orders import orders_for_conversation
from bot.services.phone_link import LinkResult, TooManyLinkCodes, confirm_phone_link, unlink_phone
from bot.services.texted_codes import text_link_code

PHONE_SLOT = "phone_to_link"
CODE_SLOT = "link_code"
STATUS_SLOT = "phone_link_status"
LINK_CODE = re.compile(r"\b(\d{6})\b")
GIVING_UP = {"deny", "goodbye", "request_human"}
# Setting requested_slot to None is how a form validation action ends the form early.
STOPPED = {STATUS_SLOT: "stopped", PHONE_SLOT: None, CODE_SLOT: None, "requested_slot": None}


def masked(phone: str) -> str:
    return f"••••{phone[-4:]}"


def phone_number_in(text: str) -> str | None:
    """The first phone number written in free text ("it's 07700 900123 thanks" -> "07700 900123")."""
    matches = phonenumbers.PhoneNumberMatcher(text, DEFAULT_REGION, leniency=phonenumbers.Leniency.POSSIBLE)
    match = next(iter(matches), None)
    return match.raw_string if match else None


def gave_up(tracker: Tracker) -> bool:
    return (tracker.latest_message or {}).get("intent", {}).get("name") in GIVING_UP


class ValidateLinkPhoneForm(FormValidationAction):
    def name(self) -> str:
        return "validate_link_phone_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if on_phone_channel(tracker):
            return []
        return [PHONE_SLOT, CODE_SLOT]

    async def extract_phone_to_link(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        asked = tracker.slots.get("requested_slot") == PHONE_SLOT
        text = latest_text(tracker)
        if asked:
            return {PHONE_SLOT: text} if text else {}
        if tracker.slots.get(PHONE_SLOT) is None and not tracker.slots.get("requested_slot"):
            found = phone_number_in(text)  # "link my phone 07700 900123" gives the number up front
            return {PHONE_SLOT: found} if found else {}
        return {}

    async def validate_phone_to_link(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if gave_up(tracker):
            return dict(STOPPED)
        try:
            issued, sent = await text_link_code(shop(), tracker.sender_id, str(value))
        except InvalidPhoneNumber:
            dispatcher.utter_message(
                text="That doesn't look like a phone number. Please type your mobile number, like 07700 900123."
            )
            return {PHONE_SLOT: None}
        except TooManyLinkCodes:
            dispatcher.utter_message(text="I've sent too many codes lately. Please try again in an hour.")
            return dict(STOPPED)
        if sent.status == "opted_out":
            dispatcher.utter_message(
                text=f"{masked(issued.phone)} has opted out of our texts, so I can't send a code. "
                "Text START to us from that phone, then ask me again."
            )
            return dict(STOPPED)
        dispatcher.utter_message(text=f"I've texted a 6-digit code to {masked(issued.phone)}.")
        return {PHONE_SLOT: issued.phone}

    async def extract_link_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.slots.get("requested_slot") != CODE_SLOT:
            return {}
        text = latest_text(tracker)
        return {CODE_SLOT: text} if text else {}

    async def validate_link_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if gave_up(tracker):
            return dict(STOPPED)
        typed = LINK_CODE.search(str(value))
        if typed is None:
            dispatcher.utter_message(text="The code is 6 digits. Please type it exactly as in the text message.")
            return {CODE_SLOT: None}
        result: LinkResult = await shop().call(confirm_phone_link, tracker.sender_id, typed.group(1))
        if result.linked:
            # The slot records that a code was accepted, never the code itself.
            return {CODE_SLOT: "accepted", STATUS_SLOT: "linked"}
        if result.status == "invalid":
            dispatcher.utter_message(text=f"That code isn't right; {result.attempts_left} tries left.")
            return {CODE_SLOT: None}
        dispatcher.utter_message(text='That code has expired. Say "link my phone" to get a new one.')
        return dict(STOPPED)


class ActionFinishPhoneLink(Action):
    """Says how linking ended and clears the form's slots so it can run again later."""

    def name(self) -> str:
        return "action_finish_phone_link"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        status = tracker.slots.get(STATUS_SLOT)
        if on_phone_channel(tracker):
            dispatcher.utter_message(
                text="You're already messaging from your phone, so your basket and orders are right here."
            )
        elif status == "linked":
            dispatcher.utter_message(text=await self._linked_summary(tracker))
        elif status == "stopped" and gave_up(tracker):
            dispatcher.utter_message(text="OK, I won't link a phone. Anything else I can help with?")
        return [SlotSet(STATUS_SLOT, None), SlotSet(PHONE_SLOT, None), SlotSet(CODE_SLOT, None)]

    async def _linked_summary(self, tracker: Tracker) -> str:
        phone = str(tracker.slots.get(PHONE_SLOT) or "")
        orders = await shop().call(orders_for_conversation, tracker.sender_id)
        basket = await shop().call(view_cart, tracker.sender_id)
        found = [f"{len(orders)} order{'s' if len(orders) != 1 else ''}"] if orders else []
        if basket.item_count:
            found.append(f"{basket.item_count} item{'s' if basket.item_count != 1 else ''} in your basket")
        linked = f"Done - this chat is linked to {masked(phone)}."
        if not found:
            return f"{linked} Orders you place by text, WhatsApp or here will all show up in each place."
        return f"{linked} I can see {' and '.join(found)} here now. Ask \"where's my order?\" or \"show my basket\"."


class ActionUnlinkPhone(Action):
    """Unlinks the chat from the phone (a shared computer, a wrong number): the phone keeps its basket and orders."""

    def name(self) -> str:
        return "action_unlink_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if on_phone_channel(tracker):
            dispatcher.utter_message(
                text="This chat is your phone's own, so there's nothing to unlink. Text STOP if you want no more messages."
            )
        elif await shop().call(unlink_phone, tracker.sender_id):
            dispatcher.utter_message(
                text="Done - this chat is no longer linked to your phone. Your basket and orders stay with your phone."
            )
        else:
            dispatcher.utter_message(text="This chat isn't linked to a phone.")
        return []
