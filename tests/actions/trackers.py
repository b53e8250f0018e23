"""Trackers built from plain dicts, the way Rasa sends them to the action server."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from tests.support.domain import load_domain

SENDER = "web-00000000-0000-4000-8000-000000000001"


def tracker(
    text: str = "",
    intent: str = "check_stock",
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    domain_slots = {name: None for name in load_domain()["slots"]}
    domain_slots.update(slots or {})
    user_event = {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}
    return Tracker.from_dict(
        {
            "sender_id": SENDER,
            "slots": domain_slots,
            "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []},
            "events": (events or []) + [user_event],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
