"""A turn that produces no reply gets an apology on the same channel, unless people own the conversation."""

from __future__ import annotations

from typing import Any

from bot.handoff.sessions import request_handoff
from bot.messaging.transcript import record_message
from connectors._turns import CountsReplies, answer_or_apologise

CONVERSATION = "sms:+447700900123"


class RecordingOutput(CountsReplies):
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent.append((recipient_id, text))


async def silent_turn() -> None:
    return None


async def test_a_silent_turn_gets_an_apology_with_a_way_forward(shop) -> None:
    shop.run(record_message, CONVERSATION, "sms", "user", "is the fleece in stock")
    output = RecordingOutput()
    await answer_or_apologise(shop, CONVERSATION, silent_turn(), output)
    [(recipient, text)] = output.sent
    assert recipient == CONVERSATION and text.startswith("Sorry") and shop.settings.support_phone in text


async def test_a_turn_that_answered_gets_nothing_more(shop) -> None:
    output = RecordingOutput()

    async def answering_turn() -> None:  # Rasa sends each reply of the turn through the turn's output channel
        await output.send_response(CONVERSATION, {"text": "Yes! Arndale has 3."})

    await answer_or_apologise(shop, CONVERSATION, answering_turn(), output)
    assert output.sent == [(CONVERSATION, "Yes! Arndale has 3.")]


async def test_no_apology_while_a_person_owns_the_conversation(shop) -> None:
    shop.run(request_handoff, CONVERSATION, "sms", "asked_for_person")
    output = RecordingOutput()
    await answer_or_apologise(shop, CONVERSATION, silent_turn(), output)
    assert output.sent == []


async def test_a_real_connector_apologises_over_sms_when_rasa_stays_silent(shop, fake_twilio) -> None:
    from bot.messaging.channels.twilio import TwilioSender
    from connectors.twilio import TwilioSmsInput
    from tests.connectors.helpers import serve_blueprint
    from tests.connectors.test_twilio import SHOPPER, credentials, inbound, post_signed

    async def silent_rasa(message) -> None:  # type: ignore[no-untyped-def]
        return None  # what Rasa does when the action server is down: logs, then says nothing

    creds = credentials(fake_twilio)
    channel = TwilioSmsInput(creds, shop=shop, sender=TwilioSender(shop, "sms", creds))
    async with serve_blueprint(channel.blueprint(silent_rasa), "/webhooks/sms") as client:
        reply = await post_signed(client, "sms", inbound("SM900"))
        await channel.tasks.drain()
    assert reply.status_code == 200
    [sent] = fake_twilio.messages
    assert sent.field("To") == SHOPPER and (sent.field("Body") or "").startswith("Sorry, something went wrong")


async def test_a_turn_that_raised_gets_an_apology_too(shop) -> None:
    # A turn that died (Rasa choking on a non-text message) left the shopper with silence.
    output = RecordingOutput()

    async def failing_turn() -> None:
        raise TypeError("text must be a string")

    await answer_or_apologise(shop, CONVERSATION, failing_turn(), output)
    [(recipient, text)] = output.sent
    assert recipient == CONVERSATION and text.startswith("Sorry")


async def test_no_apology_for_a_message_the_agent_handed_back_while_it_was_in_rasa(shop) -> None:
    # The shopper wrote while the agent had the conversation (Rasa paused: no reply); the agent handed
    # back before the turn ended. The shopper used to get "Sorry, something went wrong on my side".
    from bot.handoff.agents import create_agent
    from bot.handoff.sessions import hand_back, take_conversation

    agent = shop.run(create_agent, "sam", "Sam Taylor", "correct horse battery")
    waiting = shop.run(request_handoff, CONVERSATION, "sms", "asked_for_person").handoff
    shop.run(take_conversation, agent.id, handoff_id=waiting.id)
    output = RecordingOutput()

    async def paused_turn_during_which_the_agent_hands_back() -> None:
        shop.run(hand_back, waiting.id, agent.id)

    await answer_or_apologise(shop, CONVERSATION, paused_turn_during_which_the_agent_hands_back(), output)
    assert output.sent == []
    # The next silent turn, after the hand back, is a real failure again and is apologised for.
    await answer_or_apologise(shop, CONVERSATION, silent_turn(), output)
    [(_, text)] = output.sent
    assert text.startswith("Sorry")


async def test_a_left_message_does_not_excuse_silence(shop) -> None:
    from bot.handoff.sessions import leave_message

    shop.run(leave_message, CONVERSATION, "sms")
    output = RecordingOutput()
    await answer_or_apologise(shop, CONVERSATION, silent_turn(), output)
    [(_, text)] = output.sent
    assert text.startswith("Sorry")
