from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.stores import ActionNearestStore, ActionStoreAddress, ActionStoreHours
from tests.actions.trackers import dispatcher, tracker
from tests.support.domain import load_domain


async def test_hours_for_a_named_store(catalog_shop) -> None:
    said = dispatcher()
    events = await ActionStoreHours().run(said, tracker("when does stockport close on sunday", intent="ask_hours"), load_domain())
    assert events == [SlotSet("store", "stockport")]
    assert "Stockport" in said.messages[0]["text"] and "Sun" in said.messages[0]["text"]


async def test_hours_without_a_store_asks_which_with_buttons(catalog_shop) -> None:
    said = dispatcher()
    assert await ActionStoreHours().run(said, tracker("what time do you open", intent="ask_hours"), load_domain()) == []
    payloads = [button["payload"] for button in said.messages[0]["buttons"]]
    assert '/ask_hours{"store":"arndale"}' in payloads


async def test_address_from_a_button_entity(catalog_shop) -> None:
    said = dispatcher()
    entities = [{"entity": "store", "value": "didsbury"}]
    await ActionStoreAddress().run(said, tracker("/ask_address", intent="ask_address", entities=entities), load_domain())
    assert "google.com/maps/dir" in said.messages[0]["text"]


async def test_nearest_store_to_a_place(catalog_shop) -> None:
    said = dispatcher()
    events = await ActionNearestStore().run(said, tracker("nearest store to chorlton", intent="ask_nearest_store"), load_domain())
    assert events and events[0]["name"] == "store"
    assert "km" in said.messages[0]["text"]


async def test_nearest_store_to_an_unknown_place_asks_for_an_area(catalog_shop) -> None:
    said = dispatcher()
    assert await ActionNearestStore().run(said, tracker("nearest store to narnia", intent="ask_nearest_store"), load_domain()) == []
    assert "postcode" in said.messages[0]["text"]
