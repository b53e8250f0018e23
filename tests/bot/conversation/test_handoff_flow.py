"""Handing over to people through the engine: queued and paused when someone is free, a message otherwise."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.kernel.models import Agent, HandoffSession
from bot.handoff import states
from bot.kernel.shop import Shop
from tests.bot.conversation.chat import SMS, WEB, Chat


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


async def test_asking_for_a_person_queues_and_pauses_when_an_agent_is_online(catalog_shop: Shop) -> None:
    agent_online(catalog_shop)
    chat = Chat(catalog_shop)
    said = await chat.say("can i talk to a real person", "request_human")
    assert said == (
        "I'm getting a person from our team to help you. The wait is about 3 minutes. "
        "Anything you type now goes straight to them."
    )
    assert chat.paused and sessions(catalog_shop) == [(WEB, "webchat", "waiting", states.ASKED_FOR_PERSON)]
    again = await chat.say("agent pls", "request_human")
    assert again == handoff_text("ALREADY_WAITING") and chat.paused and len(sessions(catalog_shop)) == 1


def handoff_text(name: str) -> str:
    from bot.conversation import handoff as conversation_handoff

    return str(getattr(conversation_handoff, name))


async def test_sms_shopper_is_queued_on_the_sms_channel(catalog_shop: Shop) -> None:
    agent_online(catalog_shop)
    chat = Chat(catalog_shop, SMS, "sms")
    await chat.say("agent pls", "request_human")
    assert sessions(catalog_shop) == [(SMS, "sms", "waiting", states.ASKED_FOR_PERSON)]


async def test_with_nobody_online_a_typed_yes_leaves_a_message(catalog_shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORT_HOURS", closed_now())
    chat = Chat(catalog_shop, SMS, "sms")
    offer = await chat.say("i want to speak to someone", "request_human")
    assert offer.startswith("Our team isn't around right now - they chat") and chat.buttons == ["Leave a message", "No thanks"]
    assert not chat.paused and sessions(catalog_shop) == []
    asked = await chat.say("yes")
    assert asked.startswith("OK - type your message")
    taken = await chat.say("please call me about my order, 07700 900123")
    assert taken.startswith("Thanks - I've passed your message on.")
    assert sessions(catalog_shop) == [(SMS, "sms", "message", states.LEFT_MESSAGE)]


async def test_two_misses_in_a_row_bring_in_a_person(catalog_shop: Shop) -> None:
    agent_online(catalog_shop)
    chat = Chat(catalog_shop)
    first = await chat.say("blorf qwzx", "nlu_fallback", 0.2)
    assert first.startswith("Sorry, I didn't quite get that.") and sessions(catalog_shop) == []
    second = await chat.say("zzkq plomf", "nlu_fallback", 0.2)
    assert second.startswith("Sorry, I'm still not getting it. I'm getting a person")
    assert chat.paused and sessions(catalog_shop) == [(WEB, "webchat", "waiting", states.NOT_UNDERSTOOD)]


async def test_repeated_abuse_gets_a_calm_reply_then_a_person(catalog_shop: Shop) -> None:
    agent_online(catalog_shop)
    chat = Chat(catalog_shop)
    calm = await chat.say("you're a stupid f***ing bot", "insult")
    assert calm.startswith("I'm sorry this is frustrating") and not chat.paused
    await chat.say("useless piece of junk", "insult")
    assert chat.paused and sessions(catalog_shop)[0][2] == "waiting"
