"""Store questions: opening hours on a given day, address and directions, nearest store to a place."""

from __future__ import annotations

from datetime import datetime, timezone

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import button, latest_text, shop, store_from_entity
from bot.replies.stores import format_day_hours, format_nearest_stores, format_store_details
from bot.services.catalog import match_store
from bot.services.stores import list_stores, nearest_stores, opening_hours_on, store_details


async def _store_in_question(tracker: Tracker) -> str | None:
    """The store the shopper names now, else the one the conversation is already about."""
    named = await store_from_entity(tracker)
    if named:
        return named
    text = latest_text(tracker)
    if text:
        store = await shop().call(match_store, text)
        if store:
            return store.store_id
    return tracker.get_slot("store")


async def _ask_which_store(dispatcher: CollectingDispatcher, intent: str) -> None:
    stores = await shop().call(list_stores)
    buttons = [button(store.name, f'/{intent}{{"store":"{store.store_id}"}}') for store in stores]
    dispatcher.utter_message(text="Which store?", buttons=buttons)


class ActionStoreHours(Action):
    def name(self) -> str:
        return "action_store_hours"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        store_id = await _store_in_question(tracker)
        if not store_id:
            await _ask_which_store(dispatcher, "ask_hours")
            return []
        hours = await shop().call(opening_hours_on, store_id, latest_text(tracker), datetime.now(timezone.utc))
        dispatcher.utter_message(text=format_day_hours(hours))
        return [SlotSet("store", store_id)]


class ActionStoreAddress(Action):
    def name(self) -> str:
        return "action_store_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        store_id = await _store_in_question(tracker)
        if not store_id:
            await _ask_which_store(dispatcher, "ask_address")
            return []
        details = await shop().call(store_details, store_id)
        dispatcher.utter_message(text=format_store_details(details))
        return [SlotSet("store", store_id)]


class ActionNearestStore(Action):
    def name(self) -> str:
        return "action_nearest_store"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        nearest = await shop().call(nearest_stores, text) if text else None
        if nearest is None:
            dispatcher.utter_message(
                text="Which area or postcode are you near? For example \"Chorlton\", \"Piccadilly\" or \"M20\"."
            )
            return []
        dispatcher.utter_message(text=format_nearest_stores(nearest))
        return [SlotSet("store", nearest.stores[0].store.store_id)] if nearest.stores else []
