"""Handoff actions with trackers built from dicts: exact events (ConversationPaused) and what the shopper reads."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from sqlalchemy import select

from actions.fallback import HELP_BUTTONS, REPHRASE, STILL_LOST, ActionHandleFallback
from actions.handoff import (
    ALREADY_WAITING,
    NO_AGENT_ONLINE,
    OFFER_MESSAGE,
    ActionLeaveMessage,
    ActionRequestHuman,
)
from bot.models import Agent, HandoffSession
from bot.services import handoff
from bot.shop import Shop
from tests.actions.trackers import SENDER, dispatcher, tracker
from tests.support.domain import load_domain

SMS_SENDER = "sms:+447700900123"
LEAVE_BUTTONS = [{"title": "Leave a message", "payload": "/leave_message"}, {"title": "No thanks", "payload": "/deny"}]


@pytest.fixture(autouse=True)
def always_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORT_HOURS", "Mon-Sun 00:00-24:00")
    monkeypatch.setenv("SUPPORT_TIMEZONE", "Europe/London")
    monkeypatch.delenv("AGENT_ONLINE_MINUTES", raising=False)


def closed_now() -> str:
    """Support hours that exclude the present hour in London, whatever time the test runs."""
    hour = datetime.now(ZoneInfo("Europe/London")).hour
    start = (hour + 2) % 24
    if start >= 22:
        start = (hour + 4) % 24 if (hour + 4) % 24 < 22 else 1
    return f"Mon-Sun {start:02d}:00-{start + 1:02d}:00"


def agent_online(shop: Shop) -> None:
    with shop.uow() as uow:
        uow.session.add(Agent(username="sam", display_name="Sam", password_hash="x", last_seen_at=datetime.now(timezone.utc)))
        uow.commit()


def sessions(shop: Shop) -> list[tuple[str, str, str, str]]:
    with shop.uow() as uow:
        rows = uow.session.execute(
            select(HandoffSession.conversation_id, HandoffSession.channel, HandoffSession.state, HandoffSession.reason)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def sms_tracker(text: str, intent: str, slots: dict[str, Any] | None = None) -> Tracker:
    domain_slots = {name: None for name in load_domain()["slots"]}
    domain_slots.update(slots or {})
    user = {"event": "user", "text": text, "input_channel": "sms", "parse_data": {"intent": {"name": intent}}}
    return Tracker.from_dict(
        {
            "sender_id": SMS_SENDER,
            "slots": domain_slots,
            "latest_message": {"text": text, "intent": {"name": intent}, "entities": []},
            "events": [user],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
            "latest_input_channel": "sms",
        }
    )


async def test_asking_for_a_person_queues_and_pauses_when_an_agent_is_online(shop: Shop) -> None:
    agent_online(shop)
    said = dispatcher()
    events = await ActionRequestHuman().run(said, tracker("can i talk to a real person", intent="request_human"), load_domain())
    assert events == [ConversationPaused()]
    assert said.messages[0]["text"] == (
        "I'm getting a person from our team to help you. The wait is about 3 minutes. "
        "Anything you type now goes straight to them."
    )
    assert sessions(shop) == [(SENDER, "webchat", "waiting", handoff.ASKED_FOR_PERSON)]


async def test_asking_again_while_waiting_keeps_one_session(shop: Shop) -> None:
    agent_online(shop)
    await ActionRequestHuman().run(dispatcher(), tracker("human", intent="request_human"), load_domain())
    said = dispatcher()
    events = await ActionRequestHuman().run(said, tracker("agent pls", intent="request_human"), load_domain())
    assert events == [ConversationPaused()]
    assert said.messages[0]["text"] == ALREADY_WAITING
    assert len(sessions(shop)) == 1


async def test_sms_shopper_is_queued_on_the_sms_channel(shop: Shop) -> None:
    agent_online(shop)
    events = await ActionRequestHuman().run(dispatcher(), sms_tracker("agent pls", "request_human"), load_domain())
    assert events == [ConversationPaused()]
    assert sessions(shop) == [(SMS_SENDER, "sms", "waiting", handoff.ASKED_FOR_PERSON)]


async def test_with_nobody_online_the_shopper_may_leave_a_message(shop: Shop) -> None:
    said = dispatcher()
    events = await ActionRequestHuman().run(said, tracker("human", intent="request_human"), load_domain())
    assert events == []
    assert said.messages[0]["text"] == f"{NO_AGENT_ONLINE} {OFFER_MESSAGE}"
    assert said.messages[0]["buttons"] == LEAVE_BUTTONS
    assert sessions(shop) == []


async def test_outside_hours_the_shopper_hears_the_hours(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    agent_online(shop)
    hours = closed_now()
    monkeypatch.setenv("SUPPORT_HOURS", hours)
    said = dispatcher()
    assert await ActionRequestHuman().run(said, tracker("human", intent="request_human"), load_domain()) == []
    assert said.messages[0]["text"] == (
        f"Our team isn't around right now - they chat {hours} (UK time). {OFFER_MESSAGE}"
    )
    assert sessions(shop) == []


async def test_leaving_a_message_records_it_for_agents(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORT_HOURS", closed_now())
    said = dispatcher()
    message = "please call me about my order FS-1234"
    events = await ActionLeaveMessage().run(
        said, sms_tracker(message, "inform", slots={"handoff_message": message}), load_domain()
    )
    assert events == [SlotSet("handoff_message", None)]
    assert said.messages[0]["text"].startswith("Thanks - I've passed your message on. Someone from our team will reply to you here from ")
    assert sessions(shop) == [(SMS_SENDER, "sms", "message", handoff.LEFT_MESSAGE)]


async def test_an_empty_message_is_not_recorded(shop: Shop) -> None:
    said = dispatcher()
    events = await ActionLeaveMessage().run(said, sms_tracker("", "inform"), load_domain())
    assert events == [SlotSet("handoff_message", None)]
    assert sessions(shop) == []


FIRST_MISS = [
    {"event": "user", "text": "zzz", "parse_data": {"intent": {"name": "nlu_fallback"}}},
    {"event": "action", "name": "action_handle_fallback"},
    {"event": "action", "name": "action_listen"},
]


async def test_fallback_first_asks_to_rephrase(shop: Shop) -> None:
    said = dispatcher()
    assert await ActionHandleFallback().run(said, tracker("blorf", intent="nlu_fallback"), load_domain()) == []
    assert said.messages[0]["text"] == REPHRASE
    assert sessions(shop) == []


async def test_second_miss_in_a_row_hands_to_a_person(shop: Shop) -> None:
    agent_online(shop)
    said = dispatcher()
    events = await ActionHandleFallback().run(
        said, tracker("blorf again", intent="nlu_fallback", events=FIRST_MISS), load_domain()
    )
    assert events == [ConversationPaused()]
    assert said.messages[0]["text"].startswith(f"{STILL_LOST} I'm getting a person from our team")
    assert sessions(shop) == [(SENDER, "webchat", "waiting", handoff.NOT_UNDERSTOOD)]


async def test_second_miss_with_nobody_online_offers_a_message_and_help(shop: Shop) -> None:
    said = dispatcher()
    events = await ActionHandleFallback().run(
        said, tracker("blorf again", intent="nlu_fallback", events=FIRST_MISS), load_domain()
    )
    assert events == []
    assert said.messages[0]["text"] == f"{STILL_LOST} {NO_AGENT_ONLINE} {OFFER_MESSAGE}"
    assert said.messages[0]["buttons"] == LEAVE_BUTTONS + HELP_BUTTONS
    assert sessions(shop) == []


async def test_fallback_inside_a_form_only_apologises(shop: Shop) -> None:
    agent_online(shop)
    said = dispatcher()
    events = await ActionHandleFallback().run(
        said, tracker("blorf again", intent="nlu_fallback", events=FIRST_MISS, active_loop="stock_form"), load_domain()
    )
    assert events == [] and said.messages[0]["text"] == "Sorry, I didn't catch that."
    assert sessions(shop) == []
