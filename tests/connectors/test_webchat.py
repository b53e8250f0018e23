"""The web chat channel on the Rasa side: shared-secret auth, a turn's replies written once, in order."""

from __future__ import annotations

import pytest
from rasa.core.channels.channel import UserMessage

from bot.messaging.transcript import messages_after
from connectors.webchat import SECRET_HEADER, WebChatInput
from tests.connectors.helpers import serve_blueprint

SECRET = "webchat-test-secret"
SHOPPER = "web-00000000-0000-4000-8000-0000000000c1"


def body(text: str = "is the fleece in stock?") -> dict:
    return {"sender": SHOPPER, "message": text}


async def two_replies(message: UserMessage) -> None:  # stands in for Rasa: replies go through the turn's output
    await message.output_channel.send_response(message.sender_id, {"text": "Yes! Arndale has 3."})
    await message.output_channel.send_response(
        message.sender_id, {"text": "Reserve one?", "buttons": [{"title": "Yes", "payload": "/affirm"}]}
    )


async def silent(message: UserMessage) -> None:
    return None


@pytest.mark.parametrize("secret", ["", "wrong-secret"])
async def test_a_forged_request_is_refused_and_records_nothing(shop, secret: str) -> None:
    async with serve_blueprint(WebChatInput(SECRET).blueprint(two_replies), "/webhooks/webchat") as client:
        reply = await client.post("/webhooks/webchat/webhook", json=body(), headers={SECRET_HEADER: secret})
    assert reply.status_code == 403
    assert shop.run(messages_after, SHOPPER) == []


async def test_a_turns_replies_are_in_the_transcript_in_order_when_the_request_returns(shop) -> None:
    async with serve_blueprint(WebChatInput(SECRET).blueprint(two_replies), "/webhooks/webchat") as client:
        reply = await client.post("/webhooks/webchat/webhook", json=body(), headers={SECRET_HEADER: SECRET})
    assert reply.status_code == 200
    lines = shop.run(messages_after, SHOPPER)
    assert [(line.author, line.text) for line in lines] == [("bot", "Yes! Arndale has 3."), ("bot", "Reserve one?")]
    assert lines[1].payload == {"buttons": [{"title": "Yes", "payload": "/affirm"}]}
    assert lines[0].id < lines[1].id


async def test_a_silent_turn_is_answered_with_an_apology(shop) -> None:
    async with serve_blueprint(WebChatInput(SECRET).blueprint(silent), "/webhooks/webchat") as client:
        reply = await client.post("/webhooks/webchat/webhook", json=body(), headers={SECRET_HEADER: SECRET})
    assert reply.status_code == 200
    [line] = shop.run(messages_after, SHOPPER)
    assert line.author == "bot" and line.text.startswith("Sorry, something went wrong")


async def test_messages_not_from_a_web_conversation_are_refused(shop) -> None:
    async with serve_blueprint(WebChatInput(SECRET).blueprint(two_replies), "/webhooks/webchat") as client:
        reply = await client.post(
            "/webhooks/webchat/webhook", json={"sender": "sms:+447700900123", "message": "hi"}, headers={SECRET_HEADER: SECRET}
        )
    assert reply.status_code == 400
    assert shop.run(messages_after, "sms:+447700900123") == []


async def test_a_product_card_is_kept_with_the_text_it_belongs_to(shop) -> None:
    card = {"products": [{"name": "Kinder Fleece Jacket (navy, M)", "price": "£59.99", "availability": "3 in stock at Arndale",
                          "reserve": {"title": "Reserve it", "payload": "/reserve_item"}}]}

    async def stock_answer_with_card(message: UserMessage) -> None:  # Rasa's message: text, buttons and "custom"
        await message.output_channel.send_response(
            message.sender_id,
            {"text": "Yes! Arndale has 3.", "buttons": [{"title": "Reserve it", "payload": "/reserve_item"}], "custom": card},
        )

    async with serve_blueprint(WebChatInput(SECRET).blueprint(stock_answer_with_card), "/webhooks/webchat") as client:
        reply = await client.post("/webhooks/webchat/webhook", json=body(), headers={SECRET_HEADER: SECRET})
    assert reply.status_code == 200
    [line] = shop.run(messages_after, SHOPPER)  # one line, not the text and then an empty card line
    assert line.text == "Yes! Arndale has 3."
    assert line.payload == {"buttons": [{"title": "Reserve it", "payload": "/reserve_item"}], "custom": card}


async def test_a_line_forwarded_again_after_it_was_answered_gets_no_second_turn(shop) -> None:
    """The forwarder died after Rasa answered; the line is forwarded again with its id: one set of replies."""
    turns: list[str] = []

    async def counted(message: UserMessage) -> None:
        turns.append(message.message_id)
        await two_replies(message)

    line = {**body(), "message_id": "webline-41"}
    async with serve_blueprint(WebChatInput(SECRET).blueprint(counted), "/webhooks/webchat") as client:
        first = await client.post("/webhooks/webchat/webhook", json=line, headers={SECRET_HEADER: SECRET})
        again = await client.post("/webhooks/webchat/webhook", json=line, headers={SECRET_HEADER: SECRET})
        other = await client.post("/webhooks/webchat/webhook", json={**line, "message_id": "webline-42"}, headers={SECRET_HEADER: SECRET})
    assert (first.json(), again.json(), other.json()) == (
        {"status": "processed"}, {"status": "processed", "repeat": True}, {"status": "processed"}
    )
    assert turns == ["webline-41", "webline-42"]
    assert len(shop.run(messages_after, SHOPPER)) == 4


async def test_the_turn_finishes_when_the_forwarder_hangs_up(shop) -> None:
    """The bot server that forwarded the line died mid-turn (nginx 499): the replies still reach the transcript."""
    import asyncio

    import httpx

    release = asyncio.Event()

    async def slow(message: UserMessage) -> None:
        await release.wait()  # e.g. an action waiting on a row lock
        await two_replies(message)

    async with serve_blueprint(WebChatInput(SECRET).blueprint(slow), "/webhooks/webchat") as client:
        with pytest.raises(httpx.TimeoutException):
            await client.post("/webhooks/webchat/webhook", json=body(), headers={SECRET_HEADER: SECRET}, timeout=0.5)
        release.set()
        for _ in range(100):
            if len(shop.run(messages_after, SHOPPER)) == 2:
                break
            await asyncio.sleep(0.05)
    assert [line.text for line in shop.run(messages_after, SHOPPER)] == ["Yes! Arndale has 3.", "Reserve one?"]


async def test_two_lines_handled_in_the_other_order_are_transcribed_in_the_order_they_were_handled(shop) -> None:
    """A and B arrive at once (recorded A, B); B's turn takes the lock first: the transcript must not read A, B, reply B, reply A."""
    from bot.messaging.transcript import record_shopper_line_once, web_message_id

    first, _ = shop.run(record_shopper_line_once, SHOPPER, "webchat", "hello", "client-a")
    second, _ = shop.run(record_shopper_line_once, SHOPPER, "webchat", "what are your opening hours?", "client-b")

    async def echo(message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, {"text": f"reply to {message.text}"})

    async with serve_blueprint(WebChatInput(SECRET).blueprint(echo), "/webhooks/webchat") as client:
        for line_id, text in ((second, "what are your opening hours?"), (first, "hello")):
            forwarded = {"sender": SHOPPER, "message": text, "message_id": web_message_id(line_id)}
            reply = await client.post("/webhooks/webchat/webhook", json=forwarded, headers={SECRET_HEADER: SECRET})
            assert reply.json() == {"status": "processed"}
    lines = shop.run(messages_after, SHOPPER)
    assert [(line.author, line.text) for line in lines] == [
        ("user", "what are your opening hours?"), ("bot", "reply to what are your opening hours?"),
        ("user", "hello"), ("bot", "reply to hello"),
    ]
    # The moved line keeps its page id and inbound id; the page moves its bubble from the old row.
    assert lines[2].payload == {"client_id": "client-a", "inbound_id": web_message_id(first), "moved_from": first}
    assert lines[0].id == second


async def test_a_line_handed_back_by_the_sweeper_is_run_once_under_its_own_id(shop) -> None:
    """/redrive takes only a row id: the text and inbound id come from the transcript, and a second handing is a repeat."""
    from bot.messaging.transcript import record_message, record_shopper_line_once, web_message_id

    line_id, _ = shop.run(record_shopper_line_once, SHOPPER, "webchat", "is the fleece in stock?", "client-r")
    reply_id = shop.run(record_message, SHOPPER, "webchat", "bot", "an earlier reply")
    turns: list[tuple[str, str]] = []

    async def counted(message: UserMessage) -> None:
        turns.append((message.text, message.message_id))
        await two_replies(message)

    async with serve_blueprint(WebChatInput(SECRET).blueprint(counted), "/webhooks/webchat") as client:
        forged = await client.post("/webhooks/webchat/redrive", json={"line_id": line_id}, headers={SECRET_HEADER: "wrong"})
        not_a_shoppers = await client.post("/webhooks/webchat/redrive", json={"line_id": reply_id}, headers={SECRET_HEADER: SECRET})
        first = await client.post("/webhooks/webchat/redrive", json={"line_id": line_id}, headers={SECRET_HEADER: SECRET})
        moved_id = shop.run(messages_after, SHOPPER)[1].id  # its turn moved it after the earlier reply
        again = await client.post("/webhooks/webchat/redrive", json={"line_id": moved_id}, headers={SECRET_HEADER: SECRET})
        by_old_id = await client.post("/webhooks/webchat/redrive", json={"line_id": line_id}, headers={SECRET_HEADER: SECRET})
    assert (forged.status_code, not_a_shoppers.status_code) == (403, 404)
    assert [r.json() for r in (first, again, by_old_id)] == [{"status": "processed"}] + [{"status": "processed", "repeat": True}] * 2
    assert turns == [("is the fleece in stock?", web_message_id(line_id))]
    assert [line.author for line in shop.run(messages_after, SHOPPER)] == ["bot", "user", "bot", "bot"]  # the line moved after the earlier reply
