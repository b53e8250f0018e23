"""An in-memory tracker store that keeps each conversation's tracker to a bounded number of events.

Rasa re-reads, re-plays and re-sends a conversation's whole event history on every turn: the tracker
store deserialises it, the policies compute states for every past event, and the action server
receives all events. A long conversation therefore gets slower with every message. Our policies look
back at most a few turns (Memoization max_history 4) and the actions read slots and the latest message,
so older events only cost time.

On save, a tracker longer than `keep_events` is compacted: a session-start header that restores the
state as it was at the cut (one SlotSet per slot not at its initial value, the active form, the pause),
then the latest events from the start of a user turn. The people-readable history lives in our own transcript (bot/messaging/transcript.py);
the pre-compaction events still reach the event broker, if one is configured, before they are dropped.

Configured in endpoints.yml:

    tracker_store:
      type: bot.adapters.rasa_bounded_tracker_store.BoundedInMemoryTrackerStore
      keep_events: 50
"""

from __future__ import annotations

from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

DEFAULT_KEEP_EVENTS = 50


class BoundedInMemoryTrackerStore(InMemoryTrackerStore):
    def __init__(
        self,
        domain: Domain,
        event_broker: Optional[EventBroker] = None,
        keep_events: int = DEFAULT_KEEP_EVENTS,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain, event_broker, **kwargs)
        self.keep_events = int(keep_events)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        self.store[tracker.sender_id] = self.serialise_tracker(compacted(tracker, self.keep_events))


def compacted(tracker: DialogueStateTracker, keep_events: int) -> DialogueStateTracker:
    """The same conversation state in at most about `keep_events` events (the tracker itself when short enough)."""
    events = list(tracker.events)
    if len(events) <= keep_events:
        return tracker
    cut = _turn_start_at_or_after(events, len(events) - keep_events)
    if cut is None:
        return tracker  # one enormous turn: nothing safe to drop
    at = events[cut].timestamp
    # The header restores the state as it was at the cut, so the kept turns replay exactly as before.
    before = DialogueStateTracker.from_events(tracker.sender_id, events[:cut], slots=list(tracker.slots.values()))
    header: list[Event] = [
        ActionExecuted(ACTION_SESSION_START_NAME, timestamp=at),
        SessionStarted(timestamp=at),
    ]
    header += [
        SlotSet(slot.name, slot.value, timestamp=at)
        for slot in before.slots.values()
        if slot.value != slot.initial_value
    ]
    if before.active_loop_name:
        header.append(ActiveLoop(before.active_loop_name, timestamp=at))
    if before.is_paused():
        header.append(ConversationPaused(timestamp=at))
    return DialogueStateTracker.from_events(
        tracker.sender_id, header + events[cut:], slots=list(tracker.slots.values()), sender_source=tracker.sender_source
    )


def _turn_start_at_or_after(events: list[Event], index: int) -> Optional[int]:
    """The index of the first `action_listen` at or after `index` that a user message follows."""
    for position in range(max(index, 0), len(events) - 1):
        event = events[position]
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME:
            if isinstance(events[position + 1], UserUttered):
                return position
    return None
