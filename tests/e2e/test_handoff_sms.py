"""Handoff with a shopper on SMS: real Rasa, real bot server, the console over HTTP, Twilio faked on loopback."""

from __future__ import annotations

import time
import uuid
from typing import Iterator

import httpx
import pytest

from bot.catalog.stock_replies import format_stock_answer
from bot.handoff.agents import create_agent
from bot.catalog.inventory import check_stock, set_on_hand
from bot.messaging.transcript import messages_after
from bot.kernel.shop import Shop
from scripts.stack import RunningStack
from tests.support.console import ALWAYS_OPEN, ConsoleAgent, console_server, wait_for
from tests.support.fake_twilio import FakeTwilio
from tests.support.signing import twilio_request
from tests.support.stack import running_assistant

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
PHONE = "+447700900321"
CONVERSATION = f"sms:{PHONE}"
AUTH_TOKEN = "e2e-twilio-auth-token"


@pytest.fixture(scope="module")
def sms_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, Shop, str, FakeTwilio]]:
    with FakeTwilio(auth_token=AUTH_TOKEN) as twilio:
        env = dict(
            ALWAYS_OPEN,
            TWILIO_ACCOUNT_SID="AC" + "0" * 32,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_SMS_FROM="+441610000001",
            TWILIO_API_BASE=twilio.base_url,
        )
        for stack, shop in running_assistant(tmp_path_factory.mktemp("e2e-handoff-sms"), extra_env=env):
            shop.run(create_agent, "sam", "Sam Taylor", PASSWORD)
            with console_server(stack) as console_url:
                yield stack, shop, console_url, twilio


def text_in(stack: RunningStack, body: str) -> None:
    """The shopper texts the shop: a signed Twilio webhook to the Rasa server's SMS channel."""
    url = f"{stack.rasa_url}/webhooks/sms/webhook"
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": PHONE, "To": "+441610000001", "Body": body, "NumMedia": "0"}
    data, headers = twilio_request(AUTH_TOKEN, url, params)
    reply = httpx.post(url, content=data, headers=headers, timeout=30)
    assert reply.status_code == 200, reply.text


def texts_to_shopper(twilio: FakeTwilio) -> list[str]:
    return [message.field("Body") or "" for message in twilio.messages if message.field("To") == PHONE]


def test_agent_reply_reaches_the_sms_shopper_and_the_bot_stays_silent(sms_stack) -> None:
    stack, shop, console_url, twilio = sms_stack
    agent = ConsoleAgent(console_url, "sam", PASSWORD)  # logged in, so an agent is online
    try:
        text_in(stack, "agent pls")
        wait_for(lambda: any("getting a person" in body for body in texts_to_shopper(twilio)))

        waiting = wait_for(lambda: [i for i in agent.queue()["queue"] if i["conversation_id"] == CONVERSATION])
        assert (waiting[0]["state"], waiting[0]["channel"], waiting[0]["reason"]) == ("waiting", "sms", "asked_for_person")
        assert agent.post("take", {"handoff_id": waiting[0]["handoff_id"]})["status"] == "taken"

        sent = agent.post("reply", {"conversation_id": CONVERSATION, "text": "Hi, Sam from Fellside here. How can I help?"})
        assert sent["status"] == "sent"
        assert texts_to_shopper(twilio)[-1] == "Hi, Sam from Fellside here. How can I help?"

        # The shopper's next text reaches the agent; the assistant says nothing.
        before = len(texts_to_shopper(twilio))
        text_in(stack, "is my order ready to collect?")
        wait_for(lambda: any(line.text == "is my order ready to collect?" for line in shop.run(messages_after, CONVERSATION)))
        time.sleep(4)
        assert len(texts_to_shopper(twilio)) == before

        agent.post("hand-back", {"handoff_id": waiting[0]["handoff_id"]})
        wait_for(lambda: texts_to_shopper(twilio)[-1].startswith("You're back with the"))

        # Back with the assistant: the next question gets its answer by SMS.
        shop.run(set_on_hand, "arndale", "FS-BOOT-TRB-BRN-9", 3)
        expected = format_stock_answer(shop.run(check_stock, "FS-BOOT-TRB", "arndale", "Brown", "9"))
        text_in(stack, "do you have the trailblazer boots in brown size 9 at arndale?")
        # The answer, then (on SMS) its numbered "Reserve it" option.
        wait_for(lambda: texts_to_shopper(twilio)[-1].startswith(expected), timeout=60)

        authors = [(line.author, line.text) for line in shop.run(messages_after, CONVERSATION)]
        assert ("agent", "Hi, Sam from Fellside here. How can I help?") in authors
    finally:
        agent.close()
