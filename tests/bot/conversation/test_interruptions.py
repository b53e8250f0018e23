"""A new question in the middle of another is answered, then the assistant comes back; escapes and repeats."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.kernel.models import Agent
from bot.kernel.shop import Shop
from tests.bot.conversation.chat import SMS, Chat


@pytest.fixture(autouse=True)
def support_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORT_HOURS", "Mon-Sun 00:00-24:00")


async def test_an_hours_question_is_answered_then_the_size_is_asked_again(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    await chat.say("trailblazer boots brown at arndale", "check_stock")
    said = await chat.say("what time does stockport close today", "ask_hours")
    assert said.startswith("Stockport is open today")
    assert "Back to the Trailblazer Waterproof Hiking Boot: What size" in said
    answer = await chat.say("9")
    assert answer.startswith("Yes") or answer.startswith("Sorry, Arndale")
    assert "Trailblazer Waterproof Hiking Boot in brown, UK 9" in answer


async def test_start_over_drops_the_pending_question(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    await chat.say("scafell boots at stockport", "check_stock")
    said = await chat.say("start over")
    assert said.startswith("OK, let's start again") and chat.state.question is None and chat.state.focus.product is None


async def test_a_question_is_never_asked_a_third_time(catalog_shop: Shop) -> None:
    with catalog_shop.uow() as uow:
        uow.session.add(Agent(username="sam", display_name="Sam", password_hash="x", last_seen_at=datetime.now(timezone.utc)))
        uow.commit()
    chat = Chat(catalog_shop)
    await chat.say("trailblazer brown at arndale", "check_stock")
    second = await chat.say("big")
    assert second.startswith("Sorry, I didn't catch that. What size")
    third = await chat.say("not sure")
    assert "What size" not in third and "person" in third and "Talk to a person" in chat.buttons and "UK 9" in chat.buttons
    fourth = await chat.say("hmm")
    assert "person from our team" in fourth and chat.paused


async def test_sms_size_question_is_answered_by_value_not_position(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop, SMS, "sms")
    asked = await chat.say("trailblazer brown at arndale", "check_stock")
    assert "UK 9" in asked and chat.buttons == []  # sizes are listed in the words, not numbered, on SMS
    answer = await chat.say("9")
    assert "UK 9" in answer


async def test_a_store_question_mid_flow_keeps_the_product(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    await chat.say("do you have trailblazer boots brown 9", "check_stock")
    listed = await chat.say("which one is nearest to chorlton", "ask_nearest_store")
    assert listed.startswith("Nearest to Chorlton: Salford Quays") and "Back to the Trailblazer" in listed
    answer = await chat.say("ok that one")
    assert "Salford Quays" in answer and "Trailblazer" in answer
