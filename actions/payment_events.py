"""Payment news pushed into the conversation by the bot server (a webhook landed, a hold ran out)."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import latest_entity, shop
from bot.domain.orders import OrderNotFound
from bot.replies.checkout import (
    format_hold_expired,
    format_payment_failed,
    format_payment_received,
    format_payment_refunded,
)
from bot.services.orders import order_status
from bot.services.stores import store_details

log = logging.getLogger(__name__)


class ActionNotifyPaymentEvent(Action):
    def name(self) -> str:
        return "action_notify_payment_event"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        reference = latest_entity(tracker, "order_reference")
        try:
            order = await shop().call(order_status, str(reference))
        except OrderNotFound:
            log.warning("payment event %s for unknown order %r", intent, reference)
            return []
        if intent == "EXTERNAL_payment_received":
            details = await shop().call(store_details, order.store_id)
            text = format_payment_received(order, f"{details.address}, {details.postcode}")
        elif intent == "EXTERNAL_payment_failed":
            text = format_payment_failed(order)
        elif intent == "EXTERNAL_payment_refunded":
            text = format_payment_refunded(order)
        elif intent == "EXTERNAL_hold_expired":
            text = format_hold_expired(order)
        else:
            log.warning("unexpected payment event intent %r", intent)
            return []
        dispatcher.utter_message(text=text)
        return []
