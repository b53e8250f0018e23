"""The FAQ selector inside the trained model answers with ResponseSelector's exact output shape."""

from __future__ import annotations

import warnings

import pytest

from tests.support.stack import ensure_model


@pytest.fixture(scope="module")
def agent():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from rasa.core.agent import Agent
    return Agent.load(str(ensure_model()))


@pytest.mark.parametrize(
    ("text", "topic"),
    [("can i return boots i bought last week", "faq/returns"), ("do u do student discount", "faq/student_discount")],
)
async def test_support_questions_get_their_topic_and_the_retrieval_action(agent, text: str, topic: str) -> None:  # type: ignore[no-untyped-def]
    parsed = await agent.parse_message(text)
    assert parsed["intent"]["name"] == "faq"
    selector = parsed["response_selector"]
    assert selector["all_retrieval_intents"] == ["faq"]
    response = selector["faq"]["response"]
    assert response["intent_response_key"] == topic
    assert response["utter_action"] == f"utter_{topic}"
    assert response["responses"] and response["responses"][0]["text"]  # the answer text from data/responses
    assert 0.0 < response["confidence"] <= 1.0
    ranking = selector["faq"]["ranking"]
    assert ranking[0]["intent_response_key"] == topic and len(ranking) <= 5
    assert [entry["confidence"] for entry in ranking] == sorted((entry["confidence"] for entry in ranking), reverse=True)


async def test_other_messages_are_not_given_a_topic(agent) -> None:  # type: ignore[no-untyped-def]
    parsed = await agent.parse_message("do you have the kinder fleece in navy at arndale")
    assert parsed["intent"]["name"] == "check_stock"
    assert "faq" not in (parsed.get("response_selector") or {})
