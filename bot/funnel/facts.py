"""Which funnel facts one Rasa tracker event carries. Pure: no database, no broker.

Events arrive at least once (a consumer killed before its ack gets them again; a turn handled again after
a crash says the same things again), so every fact has a key that is the same each time it is seen, and a
fact is counted once per key:

| stage | from which event | key |
| --- | --- | --- |
| conversations | a shopper's `user` event (not a pushed EXTERNAL_ notice) | conversation + day: a conversation counts once a day |
| stock_questions | `funnel` tag on the turn's first `bot` event | conversation + inbound message id |
| basket_adds | `funnel` tag on the turn's first `bot` event | the add's effect key (conversation + message id + add#n) |
| orders_placed | `funnel` tag on the turn's first `bot` event | the order's effect key |
| payments_received | `user` event with intent EXTERNAL_payment_received | the order reference: once per order |
| handoffs | `funnel` tag on the turn's first `bot` event, or on the console's `pause` event | the handoff session |

The engine knows what a turn did (a stock question answered through a pending question has no
check_stock intent; an add that found no stock added nothing), so it tags the turn: the action puts
`{"funnel": [{"stage": …, "key": …}]}` into the metadata of the turn's first reply, and Rasa publishes it
with that `bot` event. A tag without a key (a message without an id) is keyed by the event's identity.

Days are calendar days in the support desk's time zone (SUPPORT_TIMEZONE, default Europe/London), the
zone the console shows "today" in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from bot.kernel import clock
from bot.kernel.config import load_settings
from bot.handoff.support_hours import DEFAULT_SUPPORT_TIMEZONE

CONVERSATIONS = "conversations"
STOCK_QUESTIONS = "stock_questions"
BASKET_ADDS = "basket_adds"
ORDERS_PLACED = "orders_placed"
PAYMENTS_RECEIVED = "payments_received"
HANDOFFS = "handoffs"
STAGES = (CONVERSATIONS, STOCK_QUESTIONS, BASKET_ADDS, ORDERS_PLACED, PAYMENTS_RECEIVED, HANDOFFS)
TAGGED_STAGES = frozenset({STOCK_QUESTIONS, BASKET_ADDS, ORDERS_PLACED, HANDOFFS})
TAG_FIELD = "funnel"
PAYMENT_RECEIVED_INTENT = "EXTERNAL_payment_received"
MAX_KEY = 300


@dataclass(frozen=True)
class Fact:
    stage: str
    key: str
    day: date
    conversation_id: str


def tag(stage: str, key: str | None) -> dict[str, Any]:
    """One funnel tag as an action attaches it to an event's metadata."""
    if stage not in TAGGED_STAGES:
        raise ValueError(f"not a tagged funnel stage: {stage}")
    return {"stage": stage, "key": key}


def handoff_key(handoff_id: int) -> str:
    """The key of a handoff: its session, tagged both by the turn that asked for a person and by the
    console's pause when an agent takes it, so the two count as one handoff."""
    return f"session:{handoff_id}"


def report_zone(environ: Mapping[str, str] | None = None) -> ZoneInfo:
    """The zone whose calendar days the funnel counts in: the support desk's (SUPPORT_TIMEZONE)."""
    return ZoneInfo(load_settings(environ).support_timezone or DEFAULT_SUPPORT_TIMEZONE)


def event_identity(event: Mapping[str, Any]) -> str:
    """The same for every delivery of one event: a hash of its content (Rasa's events carry no id)."""
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def facts_of(event: Mapping[str, Any], zone: ZoneInfo) -> list[Fact]:
    """The funnel facts in one event as Rasa publishes it ({"sender_id": …, "event": …, …}); often none."""
    sender = event.get("sender_id")
    kind = event.get("event")
    if not isinstance(sender, str) or not isinstance(kind, str):
        return []
    day = _day(event.get("timestamp"), zone)
    facts = []
    if kind == "user":
        intent = _intent(event)
        if intent == PAYMENT_RECEIVED_INTENT:
            reference = _entity(event, "order_reference")
            if reference:
                facts.append(Fact(PAYMENTS_RECEIVED, f"payment|{reference}", day, sender))
        elif not (intent or "").startswith("EXTERNAL_"):
            facts.append(Fact(CONVERSATIONS, f"conversation|{day.isoformat()}|{sender}", day, sender))
    metadata = event.get("metadata")
    tags = metadata.get(TAG_FIELD) if isinstance(metadata, dict) else None
    if isinstance(tags, list):
        for position, item in enumerate(tags):
            if not isinstance(item, dict) or item.get("stage") not in TAGGED_STAGES:
                continue
            key = item.get("key")
            if not isinstance(key, str) or not key:
                key = f"event|{event_identity(event)}|{position}"
            facts.append(Fact(item["stage"], f"{item['stage']}|{key}", day, sender))
    return [Fact(fact.stage, fact.key[:MAX_KEY], fact.day, fact.conversation_id[:160]) for fact in facts]


def _day(timestamp: Any, zone: ZoneInfo) -> date:
    moment = datetime.fromtimestamp(float(timestamp), timezone.utc) if isinstance(timestamp, (int, float)) else clock.now()
    return moment.astimezone(zone).date()


def _intent(event: Mapping[str, Any]) -> str | None:
    parse_data = event.get("parse_data")
    intent = parse_data.get("intent") if isinstance(parse_data, dict) else None
    name = intent.get("name") if isinstance(intent, dict) else None
    return name if isinstance(name, str) else None


def _entity(event: Mapping[str, Any], name: str) -> str | None:
    parse_data = event.get("parse_data")
    entities = parse_data.get("entities") if isinstance(parse_data, dict) else None
    for entity in entities if isinstance(entities, list) else []:
        if isinstance(entity, dict) and entity.get("entity") == name and entity.get("value") not in (None, ""):
            return str(entity["value"])
    return None
