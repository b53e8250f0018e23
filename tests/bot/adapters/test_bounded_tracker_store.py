"""The bounded tracker store keeps the conversation state and recent turns, and drops only old events."""

from __future__ import annotations

from pathlib import Path

from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, ConversationPaused, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.adapters.rasa_bounded_tracker_store import BoundedInMemoryTrackerStore, compacted

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[3] / "domain.yml"))


class RecordingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def turn(number: int, intent: str = "ask_hours") -> list:
    return [
        UserUttered(f"message {number}", intent={"name": intent, "confidence": 0.9}),
        ActionExecuted("utter_ok"),
        BotUttered(f"reply {number}"),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


def long_tracker(turns: int) -> DialogueStateTracker:
    tracker = DialogueStateTracker("web-long", DOMAIN.slots)
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    tracker.update(SlotSet("product", "FS-BOOT-TRB"))  # set at the very start, long before any cut
    for number in range(turns):
        for event in turn(number):
            tracker.update(event, DOMAIN)
    return tracker


def test_a_short_tracker_is_kept_whole() -> None:
    tracker = long_tracker(5)
    assert compacted(tracker, 120) is tracker


def test_a_long_tracker_keeps_its_slots_recent_turns_and_what_policies_see() -> None:
    tracker = long_tracker(200)
    tracker.update(SlotSet("store", "arndale"))
    tracker.update(ActiveLoop("stock_form"))
    tracker.update(ConversationPaused())
    for event in turn(200, "check_stock"):
        tracker.update(event, DOMAIN)

    short = compacted(tracker, 120)

    assert len(short.events) <= 120 + 10  # the header: session start, slots, loop, pause
    assert short.current_slot_values() == tracker.current_slot_values()
    assert short.active_loop_name == "stock_form" and short.is_paused()
    assert short.latest_message.text == "message 200"
    # Policies look back a few turns (Memoization max_history 4): those states are unchanged.
    assert short.past_states(DOMAIN)[-8:] == tracker.past_states(DOMAIN)[-8:]


async def test_the_store_stays_bounded_and_streams_every_event_once() -> None:
    broker = RecordingBroker()
    store = BoundedInMemoryTrackerStore(DOMAIN, event_broker=broker, keep_events=40)
    tracker = await store.get_or_create_tracker("web-long")
    sent = len(tracker.events)
    for number in range(100):
        tracker = await store.retrieve("web-long")
        for event in turn(number):
            tracker.update(event, DOMAIN)
        sent += 4
        await store.save(tracker)

    stored = await store.retrieve("web-long")
    assert len(stored.events) <= 40 + 4
    assert stored.latest_message.text == "message 99"
    texts = [event["text"] for event in broker.published if event["event"] == "user"]
    assert texts == [f"message {number}" for number in range(100)]  # none lost, none twice
    assert len(broker.published) == sent
