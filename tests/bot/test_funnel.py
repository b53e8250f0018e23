"""The funnel figures from Rasa's events: a shopper's conversation run through the real action, turned into
the bot events Rasa would publish (Rasa's own code), counted, and counted again when delivered twice."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa.core.actions.action import create_bot_utterance
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionRespond
from bot.funnel.facts import STAGES, event_identity, facts_of, handoff_key, tag
from bot.funnel.figures import funnel_by_day, record_facts
from bot.catalog.inventory import set_on_hand
from bot.kernel.shop import Shop

LONDON = ZoneInfo("Europe/London")
SENDER = "web-00000000-0000-4000-8000-0000000f0001"


class RasaSide:
    """What Rasa does around the action: keeps the tracker, and turns the action's messages into events."""

    def __init__(self, sender: str = SENDER) -> None:
        self.sender = sender
        self.state: Any = None
        self.published: list[dict[str, Any]] = []
        self.clock = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc).timestamp()

    async def message(self, text: str, intent: str, message_id: str, entities: dict[str, str] | None = None) -> list[dict]:
        self.clock += 5
        entity_list = [{"entity": name, "value": value} for name, value in (entities or {}).items()]
        parse_data = {"intent": {"name": intent, "confidence": 0.95}, "entities": entity_list, "text": text}
        user = {"event": "user", "timestamp": self.clock, "text": text, "parse_data": parse_data, "input_channel": "webchat",
                "message_id": message_id, "metadata": {}}
        tracker = Tracker.from_dict({
            "sender_id": self.sender, "slots": {"dialogue": self.state},
            "latest_message": {"text": text, "intent": parse_data["intent"], "entities": entity_list},
            "events": [user], "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
        })
        dispatcher = CollectingDispatcher()
        events = await ActionRespond().run(dispatcher, tracker, {})
        for event in events:
            if event.get("event") == "slot":
                self.state = event["value"]
        published = [{"sender_id": self.sender, **user}]
        for number, message in enumerate(dispatcher.messages):
            bot = create_bot_utterance(dict(message))  # Rasa's own conversion: unknown keys become metadata
            bot.timestamp = self.clock + 0.1 * (number + 1)
            published.append({"sender_id": self.sender, **bot.as_dict()})
        published.extend({"sender_id": self.sender, **event, "timestamp": self.clock + 1} for event in events if event.get("event") == "pause")
        self.published.extend(published)
        return published


@pytest.fixture
def beanies(catalog_shop: Shop) -> Shop:
    for store in ("arndale", "trafford"):
        catalog_shop.run(set_on_hand, store, "FS-ACC-BEA-GRY-OS", 20)
    return catalog_shop


def counted(shop: Shop, events: list[dict], day: date = date(2026, 12, 7)) -> dict[str, int]:
    for event in events:
        facts = facts_of(json.loads(json.dumps(event)), LONDON)  # as read back from the queue
        if facts:
            shop.run(record_facts, facts)
    figures = shop.run(funnel_by_day, day, 1)
    return {stage: count for stage, count in figures.days[-1].counts.items() if count}


async def test_a_shopper_who_asks_adds_and_orders_is_counted_once_per_step(beanies: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    rasa = RasaSide()
    await rasa.message("do you have grey beanies at arndale?", "check_stock", "m1")
    await rasa.message("reserve 2 grey beanies at arndale", "reserve_item", "m2")
    await rasa.message("checkout", "place_order", "m3")
    await rasa.message("pay now by link", "choose_payment", "m4")
    assert counted(beanies, rasa.published) == {"conversations": 1, "stock_questions": 1, "basket_adds": 1, "orders_placed": 1}
    # Every event delivered again (a consumer killed before its acks): nothing changes.
    assert counted(beanies, rasa.published) == {"conversations": 1, "stock_questions": 1, "basket_adds": 1, "orders_placed": 1}


async def test_a_turn_handled_again_after_a_crash_counts_its_add_once(beanies: Shop) -> None:
    rasa = RasaSide()
    before = rasa.state
    await rasa.message("reserve 2 grey beanies at arndale", "reserve_item", "same-id")
    rasa.state = before  # the tracker never saved the turn: Rasa handles the same message again
    again = await rasa.message("reserve 2 grey beanies at arndale", "reserve_item", "same-id")
    assert any("funnel" in (event.get("metadata") or {}) for event in again)  # the replay says the same things
    assert counted(beanies, rasa.published)["basket_adds"] == 1


async def test_no_stock_to_add_is_no_basket_add(beanies: Shop) -> None:
    beanies.run(set_on_hand, "arndale", "FS-ACC-BEA-GRY-OS", 0)
    rasa = RasaSide()
    await rasa.message("reserve 2 grey beanies at arndale", "reserve_item", "m1")
    assert "basket_adds" not in counted(beanies, rasa.published)


def test_payments_count_once_per_order_and_notices_are_not_conversations(shop: Shop) -> None:
    def payment(timestamp: float, key: str) -> dict:
        entities = [{"entity": "order_reference", "value": "FS-ABC123"}, {"entity": "notice_key", "value": key}]
        return {"sender_id": SENDER, "event": "user", "timestamp": timestamp, "text": "EXTERNAL: EXTERNAL_payment_received",
                "parse_data": {"intent": {"name": "EXTERNAL_payment_received", "confidence": 1.0}, "entities": entities}}

    noon = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc).timestamp()
    # The outbox pushed the same notice twice (the sweeper died after Rasa took it): two events, one payment.
    assert counted(shop, [payment(noon, "paid:FS-ABC123"), payment(noon + 30, "paid:FS-ABC123")]) == {"payments_received": 1}


def test_handoffs_count_once_per_session_whoever_tags_it(shop: Shop) -> None:
    noon = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc).timestamp()
    asked = {"sender_id": SENDER, "event": "bot", "timestamp": noon, "text": "Connecting you…",
             "metadata": {"funnel": [tag("handoffs", handoff_key(7))]}}
    taken = {"sender_id": SENDER, "event": "pause", "timestamp": noon + 60, "metadata": {"funnel": [tag("handoffs", handoff_key(7))]}}
    took_over = {"sender_id": "sms:+447700900001", "event": "pause", "timestamp": noon + 90,
                 "metadata": {"funnel": [tag("handoffs", handoff_key(8))]}}
    untagged = {"sender_id": SENDER, "event": "pause", "timestamp": noon + 120}  # Rasa's own, from the action
    assert counted(shop, [asked, taken, took_over, untagged]) == {"handoffs": 2}


def test_days_are_the_support_desks_calendar_days(shop: Shop) -> None:
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (summer time): a new day there.
    late = datetime(2026, 7, 1, 23, 30, tzinfo=timezone.utc).timestamp()
    line = {"sender_id": SENDER, "event": "user", "timestamp": late, "text": "hi", "parse_data": {"intent": {"name": "greet"}}}
    assert [fact.day for fact in facts_of(line, LONDON)] == [date(2026, 7, 2)]
    assert [fact.day for fact in facts_of(line, ZoneInfo("UTC"))] == [date(2026, 7, 1)]
    # Two lines the same day are one conversation; the next day it counts again.
    next_day = {**line, "timestamp": late + 86400, "text": "me again"}
    counted(shop, [line, {**line, "timestamp": late + 60, "text": "hello?"}, next_day])
    figures = shop.run(funnel_by_day, date(2026, 7, 3), 3)
    assert [(day.day, day.counts.get("conversations", 0)) for day in figures.days] == [
        (date(2026, 7, 1), 0), (date(2026, 7, 2), 1), (date(2026, 7, 3), 1),
    ]
    assert figures.as_json()["stages"] == list(STAGES)


def test_events_without_funnel_facts_and_malformed_tags_count_nothing() -> None:
    noon = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc).timestamp()
    for event in (
        {"sender_id": SENDER, "event": "action", "name": "action_listen", "timestamp": noon},
        {"sender_id": SENDER, "event": "slot", "name": "dialogue", "value": {}, "timestamp": noon},
        {"sender_id": SENDER, "event": "bot", "text": "hi", "timestamp": noon, "metadata": {"funnel": [{"stage": "revenue", "key": "x"}, "junk"]}},
        {"event": "user", "text": "no sender"},
    ):
        assert facts_of(event, LONDON) == []
    keyless = {"sender_id": SENDER, "event": "bot", "timestamp": noon, "metadata": {"funnel": [tag("stock_questions", None)]}}
    [fact] = facts_of(keyless, LONDON)
    assert fact.key == f"stock_questions|event|{event_identity(keyless)}|0"
