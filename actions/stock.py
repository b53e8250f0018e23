"""Stock questions: pick up product, colour, size and store from the message; ask only for what is missing."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import ANY_VALUE, button, latest_text, shop, store_from_entity
from bot.replies.stock import format_stock_answer
from bot.services.catalog import (
    ProductOptions,
    StockQuery,
    match_products,
    match_store,
    parse_stock_query,
    product_options,
    resolve_colour,
    resolve_size,
)
from bot.services.inventory import check_stock
from bot.services.stores import list_stores

# Words that point back at the product already under discussion ("do you have it in blue?").
_FOLLOW_UP = re.compile(r"\b(it|its|them|those|these|that|this|same|one|ones)\b", re.IGNORECASE)
_ANY = re.compile(r"^\s*(any|any\s+\w+|either|whatever|don'?t mind|doesn'?t matter|not fussed|all)\s*[.!]*\s*$", re.IGNORECASE)
_MAX_BUTTONS = 10


async def stock_query_events(
    query: StockQuery, tracker: Tracker, text: str, keep_product_by_default: bool = False
) -> list[EventType]:
    """Slot changes for a new stock question, keeping what the shopper is still talking about.

    Args:
        keep_product_by_default: keep the product under discussion even when the words don't point
            back at it ("reserve please" after a stock answer).
    """
    events: list[EventType] = []
    current_product = tracker.get_slot("product")
    if query.product_id and query.product_id != current_product:
        events += [
            SlotSet("product", query.product_id),
            SlotSet("colour", query.colour),
            SlotSet("size", query.size),
        ]
    elif current_product and (
        keep_product_by_default or query.product_id or _FOLLOW_UP.search(text) or query.colour or query.size or query.store_id
    ):
        # "do you have it in L?": sizes and colours are read against the product under discussion.
        colour = query.colour or await shop().call(resolve_colour, current_product, text)
        size = query.size or await shop().call(resolve_size, current_product, text)
        events += [SlotSet(name, value) for name, value in (("colour", colour), ("size", size)) if value]
    else:
        # A new question about something we could not match: forget the old product so the form asks.
        events += [SlotSet("product", None), SlotSet("colour", None), SlotSet("size", None)]
    if query.store_id:
        events.append(SlotSet("store", query.store_id))
    return events


NOT_RECOGNISED = "Sorry, I didn't catch that."


def _recognised_nothing(query: StockQuery, events: list[EventType], tracker: Tracker) -> bool:
    """A bare answer ("inform") in which neither the catalogue nor the product under discussion found anything."""
    if (tracker.latest_message.get("intent") or {}).get("name") != "inform" or not latest_text(tracker):
        return False
    named_anything = query.product_id or query.colour or query.size or query.store_id or query.product_name
    filled_a_slot = any(event.get("value") is not None for event in events)
    return not named_anything and not filled_a_slot


class ActionParseStockQuery(Action):
    def name(self) -> str:
        return "action_parse_stock_query"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        query = await shop().call(parse_stock_query, text)
        events = await stock_query_events(query, tracker, text)
        store_id = await store_from_entity(tracker)
        if store_id:
            events.append(SlotSet("store", store_id))
        if _recognised_nothing(query, events, tracker):
            # A bare word we cannot place ("blorf"): say so before the form asks what they're after.
            dispatcher.utter_message(text=NOT_RECOGNISED)
        return events + [SlotSet("stock_goal", "check")]


async def options_of(tracker: Tracker, product_id: str) -> ProductOptions:
    """The product's options, read once per action call: rasa_sdk asks a form for its required slots
    three times in one validation, and each ask would otherwise be a database round trip."""
    read: dict[str, ProductOptions] = tracker.__dict__.setdefault("_product_options", {})
    if product_id not in read:
        read[product_id] = await shop().call(product_options, product_id)
    return read[product_id]


class ValidateStockForm(FormValidationAction):
    """Fills the stock form from the shopper's answers; colour and size only when the product has a choice."""

    def name(self) -> str:
        return "validate_stock_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        product_id = tracker.slots.get("product")
        slots = ["product"]
        if product_id:
            options = await options_of(tracker, product_id)
            if len(options.colours) > 1:
                slots.append("colour")
            if len(options.sizes) > 1:
                slots.append("size")
        return slots + ["store"]

    async def _answer_to_requested(self, tracker: Tracker, slot: str) -> str | None:
        """The latest text when it answers the question the form asked about `slot`."""
        if tracker.slots.get("requested_slot") != slot:
            return None
        return latest_text(tracker) or None

    async def extract_product(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = await self._answer_to_requested(tracker, "product")
        if not text:
            return {}
        query = await shop().call(parse_stock_query, text)
        if query.product_id:
            return {"product": query.product_id, "colour": query.colour, "size": query.size}
        suggestions = await shop().call(match_products, text, 3)
        if suggestions:
            names = ", ".join(match.name for match in suggestions)
            dispatcher.utter_message(text=f"I couldn't find \"{text}\" exactly. Did you mean: {names}?")
        else:
            dispatcher.utter_message(text=f"Sorry, I couldn't find \"{text}\" in our range.")
        return {}

    async def extract_colour(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = await self._answer_to_requested(tracker, "colour")
        return await self._extract_option(text, "colour", resolve_colour, tracker)

    async def extract_size(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = await self._answer_to_requested(tracker, "size")
        return await self._extract_option(text, "size", resolve_size, tracker)

    async def _extract_option(self, text: str | None, slot: str, resolve: Any, tracker: Tracker) -> dict[str, Any]:
        if not text:
            return {}
        if _ANY.match(text):
            return {slot: ANY_VALUE}
        value = await shop().call(resolve, tracker.slots["product"], text)
        return {slot: value} if value else {}

    async def extract_store(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        store_id = await store_from_entity(tracker)
        if store_id:
            return {"store": store_id}
        text = await self._answer_to_requested(tracker, "store")
        if not text:
            return {}
        store = await shop().call(match_store, text)
        if store:
            return {"store": store.store_id}
        dispatcher.utter_message(text=f"I don't know a store called \"{text}\".")
        return {}

    async def validate_colour(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return await self._validate_option(value, "colour", dispatcher, tracker)

    async def validate_size(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return await self._validate_option(value, "size", dispatcher, tracker)

    async def _validate_option(
        self, value: Any, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        if value in (None, ANY_VALUE):
            return {slot: value}
        options = await options_of(tracker, tracker.slots["product"])
        choices = options.colours if slot == "colour" else options.sizes
        if value in choices:
            return {slot: value}
        dispatcher.utter_message(text=f"The {options.name} doesn't come in {value}.")
        return {slot: None}


class _AskOption(Action, ABC):
    """Asks for a colour or size, offering the product's real options as buttons."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The form slot this action asks for."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        options = await shop().call(product_options, tracker.get_slot("product"))
        choices = options.colours if self.slot == "colour" else options.sizes
        buttons = [button(choice, choice) for choice in choices[: _MAX_BUTTONS - 1]] + [button("Any", ANY_VALUE)]
        dispatcher.utter_message(text=f"Which {self.slot} of the {options.name}?", buttons=buttons)
        return []


class ActionAskColour(_AskOption):
    slot = "colour"  # type: ignore[assignment]


class ActionAskSize(_AskOption):
    slot = "size"  # type: ignore[assignment]


class ActionAskProduct(Action):
    def name(self) -> str:
        return "action_ask_product"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text='Which product are you after? A name is enough, e.g. "Trailblazer boots".')
        return []


class ActionAskStore(Action):
    def name(self) -> str:
        return "action_ask_store"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        stores = await shop().call(list_stores)
        buttons = [button(store.name, store.name) for store in stores[:_MAX_BUTTONS]]
        dispatcher.utter_message(text="Which store should I check?", buttons=buttons)
        return []


class ActionCheckStock(Action):
    """Answers from the database at the time of asking, naming nearby stores when this one can't supply."""

    def name(self) -> str:
        return "action_check_stock"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        product_id, store_id = tracker.get_slot("product"), tracker.get_slot("store")
        if not product_id or not store_id:
            dispatcher.utter_message(text="Which product and which store should I check?")
            return []
        colour = _specific(tracker.get_slot("colour"))
        size = _specific(tracker.get_slot("size"))
        answer = await shop().call(check_stock, product_id, store_id, colour, size)
        dispatcher.utter_message(text=format_stock_answer(answer))
        return []


def _specific(value: str | None) -> str | None:
    return None if value in (None, ANY_VALUE) else value
