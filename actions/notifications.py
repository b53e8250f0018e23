"""Alerts pushed into a conversation from outside (the store marked an order ready, a reminder fired).

The bot server calls Rasa's trigger_intent with an EXTERNAL_ intent and the order reference as an
entity; this action composes the text at that moment (today's hours, the hold) and utters it on the
conversation's channel. An order no longer waiting to be collected gets no message.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import latest_entity, shop
from bot.domain.orders import OrderNotFound
from bot.replies.orders import format_order_event
from bot.services.pickup_alerts import KIND_BY_INTENT, pickup_notice

log = logging.getLogger(__name__)


class ActionNotifyOrderEvent(Action):
    def name(self) -> str:
        return "action_notify_order_event"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        kind = KIND_BY_INTENT.get(intent or "")
        reference = latest_entity(tracker, "order_reference")
        if kind is None or not reference:
            log.warning("order event without a known intent (%r) or an order reference", intent)
            return []
        try:
            notice = await shop().call(pickup_notice, str(reference), datetime.now(timezone.utc))
        except OrderNotFound:
            log.warning("order event for unknown order %r", reference)
            return []
        text = format_order_event(kind, notice)
        if text:
            dispatcher.utter_message(text=text)
        return []
