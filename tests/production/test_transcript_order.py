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

from bot.services.transcript import messages_after
from tests.production.conftest import Production

pytestmark = [pytest.mark.production, pytest.mark.e2e]

PAIRS = 24
AT_ONCE = 2  # pairs in flight together: 4 made turns outlast the bot server's 30 s wait for Rasa (load 15)


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
    gate = asyncio.Semaphore(AT_ONCE)

    async def pair(number: int, http: httpx.AsyncClient) -> tuple[str, list[str]]:
        conversation_id = f"web-{uuid.uuid4()}"
        first, second = f"hello, this is line A of pair {number}", f"what are your opening hours? (line B of pair {number})"
        async with gate:
            replies = await asyncio.gather(
                *(
                    http.post(f"{production.url(bot)}/chat/api/messages", json={"conversation_id": conversation_id, "text": text})
                    for bot, text in (("bot-0", first), ("bot-1", second))
                )
            )
        assert [reply.status_code for reply in replies] == [200, 200], [reply.text for reply in replies]
        return conversation_id, [first, second]

    async with httpx.AsyncClient(timeout=180) as http:
        conversations = await asyncio.gather(*(pair(number, http) for number in range(PAIRS)))

    out_of_order = []
    for conversation_id, sent in conversations:
        handled = [event["text"] for event in production.stored_tracker_events(conversation_id) if event["event"] == "user"]
        assert sorted(handled) == sorted(sent), "both lines were handled once each"
        transcript = [(line.author, line.text) for line in production.shop.run(messages_after, conversation_id)]
        turns = shopper_lines_then_replies(transcript)
        assert sorted(text for text, _replies in turns) == sorted(sent), transcript
        if [text for text, _replies in turns] != handled or not all(replies for _text, replies in turns):
            out_of_order.append(transcript)
    handled_b_first = sum(
        [e["text"] for e in production.stored_tracker_events(c) if e["event"] == "user"] != sent for c, sent in conversations
    )
    print(f"pairs whose line B was handled first: {handled_b_first} of {PAIRS}")
    assert out_of_order == [], f"{len(out_of_order)} of {PAIRS} transcripts differ from the handling order: {out_of_order[:2]}"
