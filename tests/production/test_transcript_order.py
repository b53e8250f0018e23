"""The transcript shows a conversation in the order it was handled, even when two lines arrive at once.

A shopper (two tabs, or a page and a resend) sends two lines at the same instant; one reaches bot
server 0 and Rasa replica 0, the other bot server 1 and Rasa replica 1. Rasa's lock store runs the two
turns one after the other, in whichever order their tickets were issued. Before the fix the transcript
recorded each line on arrival, so in about a quarter of the pairs it read A, B, reply to B, reply to A.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from bot.messaging.transcript import messages_after
from tests.production.conftest import Production

pytestmark = [pytest.mark.production, pytest.mark.e2e]

PAIRS = 24  # pairs answered in full (two 200s); a pair with a timed-out line is not a sample
MOST_PAIRS = 40  # on a loaded machine a turn can outlast the bot server's 30 s wait: a few spare pairs


def shopper_lines_then_replies(authors_and_texts: list[tuple[str, str]]) -> list[tuple[str, int]]:
    """(shopper line, how many assistant lines follow it before the next shopper line)."""
    turns: list[tuple[str, int]] = []
    for author, text in authors_and_texts:
        if author == "user":
            turns.append((text, 0))
        elif turns:
            turns[-1] = (turns[-1][0], turns[-1][1] + 1)
    return turns


async def test_same_instant_lines_through_two_replicas_are_transcribed_in_the_order_they_were_handled(
    production: Production,
) -> None:
    async def pair(number: int, http: httpx.AsyncClient) -> tuple[str, list[str], list[int]]:
        conversation_id = f"web-{uuid.uuid4()}"
        first, second = f"hello, this is line A of pair {number}", f"what are your opening hours? (line B of pair {number})"
        replies = await asyncio.gather(
            *(
                http.post(f"{production.url(bot)}/chat/api/messages", json={"conversation_id": conversation_id, "text": text})
                for bot, text in (("bot-0", first), ("bot-1", second))
            )
        )
        return conversation_id, [first, second], [reply.status_code for reply in replies]

    answered: list[tuple[str, list[str]]] = []
    async with httpx.AsyncClient(timeout=180) as http:
        await pair(-1, http)  # the first turn of each replica loads what it loads lazily
        for number in range(MOST_PAIRS):
            conversation_id, sent, statuses = await pair(number, http)
            if statuses == [200, 200]:
                answered.append((conversation_id, sent))
            if len(answered) == PAIRS:
                break
    assert len(answered) == PAIRS, f"only {len(answered)} of {MOST_PAIRS} pairs had both lines answered"

    out_of_order, handled_b_first = [], 0
    for conversation_id, sent in answered:
        handled = [event["text"] for event in production.stored_tracker_events(conversation_id) if event["event"] == "user"]
        assert sorted(handled) == sorted(sent), "both lines were handled once each"
        handled_b_first += handled != sent
        transcript = [(line.author, line.text) for line in production.shop.run(messages_after, conversation_id)]
        turns = shopper_lines_then_replies(transcript)
        assert sorted(text for text, _replies in turns) == sorted(sent), transcript
        if [text for text, _replies in turns] != handled or not all(replies for _text, replies in turns):
            out_of_order.append(transcript)
    print(f"pairs whose line B was handled first: {handled_b_first} of {PAIRS}")
    assert out_of_order == [], f"{len(out_of_order)} of {PAIRS} transcripts differ from the handling order: {out_of_order[:2]}"
