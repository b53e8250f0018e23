"""SMS and WhatsApp webhooks through the connectors' Sanic blueprints, signed exactly as Twilio signs."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from sqlalchemy import func, select

from bot.messaging.channels.twilio import TwilioCredentials, TwilioSender
from bot.kernel.models import ChannelIdentity, ChatMessage, Customer, InboundDelivery, OutboundMessage, PhoneOptOut
from bot.kernel.shop import Shop
from connectors.twilio import EMPTY_TWIML, MEDIA_ONLY_REPLY, TwilioInputBase, TwilioSmsInput, TwilioWhatsAppInput
from tests.connectors.helpers import MessageRecorder, serve_blueprint
from tests.support.fake_twilio import FakeTwilio
from tests.support.signing import twilio_request

AUTH_TOKEN = "twilio-test-token"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC_URL = "https://shop.example.com"
SHOPPER = "+447700900123"


def credentials(fake: FakeTwilio, **overrides: str) -> TwilioCredentials:
    values = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "sms_from": "+447700900000",
        "whatsapp_from": "whatsapp:+447700900001",
        "public_url": PUBLIC_URL,
        "api_base": fake.base_url,
        "status_callback_url": f"{PUBLIC_URL}/twilio/status",
    }
    values.update(overrides)
    return TwilioCredentials(**values)


def make_input(shop: Shop, fake: FakeTwilio, cls: type[TwilioInputBase] = TwilioSmsInput, **overrides: str) -> TwilioInputBase:
    creds = credentials(fake, **overrides)
    # The MessageRecorder stands in for Rasa and never answers: no apology for the silent turn.
    return cls(creds, shop=shop, sender=TwilioSender(shop, cls.channel, creds), apologise_when_silent=False)


def inbound(sid: str, body: str = "Do you have walking boots?", sender: str = SHOPPER, **extra: str) -> dict[str, str]:
    params = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": "+447700900000",
        "Body": body,
        "NumMedia": "0",
    }
    params.update(extra)
    return params


async def post_signed(client, channel: str, params: dict[str, str], token: str = AUTH_TOKEN):  # type: ignore[no-untyped-def]
    path = f"/webhooks/{channel}/webhook"
    body, headers = twilio_request(token, PUBLIC_URL + path, params)
    return await client.post(path, content=body, headers=headers)


def count(shop: Shop, model: type) -> int:
    with shop.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)))


async def test_signed_message_reaches_rasa_once_with_the_conversation_id(shop: Shop, fake_twilio: FakeTwilio) -> None:
    channel = make_input(shop, fake_twilio)
    recorder = MessageRecorder()
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
        reply = await post_signed(client, "sms", inbound("SM001"))
        await channel.tasks.drain()

    assert reply.status_code == 200
    assert reply.text == EMPTY_TWIML
    assert reply.headers["content-type"].startswith("text/xml")
    assert len(recorder.messages) == 1
    message = recorder.messages[0]
    assert (message.text, message.sender_id, message.input_channel, message.message_id) == (
        "Do you have walking boots?",
        "sms:+447700900123",
        "sms",
        "SM001",
    )
    assert message.output_channel.name() == "sms"
    with shop.uow() as uow:
        identity = uow.session.scalars(select(ChannelIdentity)).one()
        assert (identity.channel, identity.external_id, identity.conversation_id) == ("sms", SHOPPER, "sms:+447700900123")
        assert identity.last_inbound_at is not None
        assert uow.session.scalars(select(Customer.phone)).one() == SHOPPER
        line = uow.session.scalars(select(ChatMessage)).one()
        assert (line.conversation_id, line.channel, line.author, line.text) == (
            "sms:+447700900123",
            "sms",
            "user",
            "Do you have walking boots?",
        )


async def test_forged_or_tampered_requests_get_403_and_leave_no_trace(shop: Shop, fake_twilio: FakeTwilio) -> None:
    channel = make_input(shop, fake_twilio)
    recorder = MessageRecorder()
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
        forged = await post_signed(client, "sms", inbound("SM002"), token="not-the-token")
        signed_body, headers = twilio_request(AUTH_TOKEN, PUBLIC_URL + "/webhooks/sms/webhook", inbound("SM003"))
        tampered = await client.post(
            "/webhooks/sms/webhook", content=signed_body.replace(b"boots", b"tents"), headers=headers
        )
        # Signed for the loopback URL, not the public URL Twilio actually calls: must fail too.
        local_body, local_headers = twilio_request(AUTH_TOKEN, str(client.base_url) + "/webhooks/sms/webhook", inbound("SM004"))
        wrong_url = await client.post("/webhooks/sms/webhook", content=local_body, headers=local_headers)
        unsigned = await client.post("/webhooks/sms/webhook", data=inbound("SM005"))
        await channel.tasks.drain()

    assert [forged.status_code, tampered.status_code, wrong_url.status_code, unsigned.status_code] == [403, 403, 403, 403]
    assert recorder.messages == []
    assert count(shop, InboundDelivery) == 0
    assert count(shop, ChatMessage) == 0
    assert count(shop, Customer) == 0


async def test_without_public_url_the_received_url_is_what_is_verified(shop: Shop, fake_twilio: FakeTwilio) -> None:
    channel = make_input(shop, fake_twilio, public_url="")
    recorder = MessageRecorder()
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
        body, headers = twilio_request(AUTH_TOKEN, str(client.base_url) + "/webhooks/sms/webhook", inbound("SM006"))
        reply = await client.post("/webhooks/sms/webhook", content=body, headers=headers)
        await channel.tasks.drain()
    assert reply.status_code == 200
    assert recorder.texts == ["Do you have walking boots?"]


async def test_replayed_message_sid_is_processed_once_even_concurrently(shop: Shop, fake_twilio: FakeTwilio) -> None:
    channel = make_input(shop, fake_twilio)
    recorder = MessageRecorder()
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
        first = await post_signed(client, "sms", inbound("SM010"))
        again = await post_signed(client, "sms", inbound("SM010"))
        burst = await asyncio.gather(*(post_signed(client, "sms", inbound("SM011", "Opening hours?")) for _ in range(6)))
        await channel.tasks.drain()

    assert [first.status_code, again.status_code] == [200, 200]
    assert {reply.status_code for reply in burst} == {200}
    assert recorder.texts == ["Do you have walking boots?", "Opening hours?"]
    assert count(shop, InboundDelivery) == 2
    assert count(shop, ChatMessage) == 2


async def test_malformed_requests_get_400_and_are_not_processed(shop: Shop, fake_twilio: FakeTwilio) -> None:
    channel = make_input(shop, fake_twilio)
    recorder = MessageRecorder()
    no_sid = inbound("x")
    del no_sid["MessageSid"], no_sid["SmsMessageSid"]
    no_from = inbound("SM020")
    del no_from["From"]
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
        replies = [
            await post_signed(client, "sms", no_sid),
            await post_signed(client, "sms", no_from),
            await post_signed(client, "sms", inbound("SM021", sender="not a number")),
            await post_signed(client, "sms", inbound("SM022", Latitude="north", Longitude="-2.2")),
        ]
        await channel.tasks.drain()
    assert [reply.status_code for reply in replies] == [400, 400, 400, 400]
    assert recorder.messages == []
    assert count(shop, InboundDelivery) == 0


async def test_missing_auth_token_rejects_everything_and_names_the_variable(
    shop: Shop, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    channel = make_input(shop, fake_twilio, auth_token="")
    recorder = MessageRecorder()
    with caplog.at_level(logging.ERROR, logger="connectors.twilio"):
        async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
            reply = await post_signed(client, "sms", inbound("SM030"), token="")
    assert reply.status_code == 403
    assert recorder.messages == []
    assert "TWILIO_AUTH_TOKEN is not set" in caplog.text
    assert count(shop, InboundDelivery) == 0


async def test_stop_opts_out_without_rasa_and_later_sends_never_reach_twilio(shop: Shop, fake_twilio: FakeTwilio) -> None:
    channel = make_input(shop, fake_twilio)
    recorder = MessageRecorder()
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
        reply = await post_signed(client, "sms", inbound("SM040", body="  stop "))
        await channel.tasks.drain()
        await channel.get_output_channel().send_text_message("sms:+447700900123", "Your order is ready")

    assert reply.status_code == 200 and reply.text == EMPTY_TWIML
    assert recorder.messages == []
    assert fake_twilio.messages == []
    with shop.uow() as uow:
        opt_out = uow.session.get(PhoneOptOut, SHOPPER)
        assert opt_out is not None and opt_out.keyword == "STOP"
        outbound = uow.session.scalars(select(OutboundMessage)).one()
        assert (outbound.status, outbound.recipient) == ("opted_out", SHOPPER)


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", "Cancel", "END", "quit"])
async def test_every_opt_out_word_opts_out(shop: Shop, fake_twilio: FakeTwilio, word: str) -> None:
    channel = make_input(shop, fake_twilio)
    recorder = MessageRecorder()
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
        await post_signed(client, "sms", inbound("SM041", body=word))
        await post_signed(client, "sms", inbound("SM042", body=f"please {word}"))
        await channel.tasks.drain()
    assert count(shop, PhoneOptOut) == 1
    assert recorder.texts == [f"please {word}"]  # only the exact keyword is a keyword


async def test_start_opts_back_in_but_yes_from_a_subscribed_shopper_goes_to_the_assistant(
    shop: Shop, fake_twilio: FakeTwilio
) -> None:
    channel = make_input(shop, fake_twilio)
    recorder = MessageRecorder()
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
        await post_signed(client, "sms", inbound("SM050", body="STOP"))
        await post_signed(client, "sms", inbound("SM051", body="start"))
        await post_signed(client, "sms", inbound("SM052", body="Yes"))
        await channel.tasks.drain()
    assert count(shop, PhoneOptOut) == 0
    assert recorder.texts == ["Yes"]
    assert fake_twilio.messages == []  # the carrier confirms STOP/START on SMS, not us


async def test_help_replies_with_retailer_and_support_phone(shop: Shop, fake_twilio: FakeTwilio) -> None:
    channel = make_input(shop, fake_twilio)
    recorder = MessageRecorder()
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
        reply = await post_signed(client, "sms", inbound("SM060", body="help"))
        await channel.tasks.drain()
    assert reply.status_code == 200
    assert recorder.messages == []
    assert len(fake_twilio.messages) == 1
    sent = fake_twilio.messages[0]
    assert sent.field("To") == SHOPPER
    assert shop.settings.retailer_name in sent.field("Body")
    assert shop.settings.support_phone in sent.field("Body")


async def test_media_only_message_gets_a_reply_and_no_rasa_turn(shop: Shop, fake_twilio: FakeTwilio) -> None:
    channel = make_input(shop, fake_twilio)
    recorder = MessageRecorder()
    params = inbound("SM070", body="", NumMedia="1", MediaUrl0="https://api.twilio.com/media/ME1", MediaContentType0="image/jpeg")
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
        reply = await post_signed(client, "sms", params)
        await channel.tasks.drain()
    assert reply.status_code == 200
    assert recorder.messages == []
    assert [message.field("Body") for message in fake_twilio.messages] == [MEDIA_ONLY_REPLY]
    with shop.uow() as uow:
        user_line = uow.session.scalars(select(ChatMessage).where(ChatMessage.author == "user")).one()
        assert user_line.payload == {"media": ["https://api.twilio.com/media/ME1"], "inbound_id": "SM070"}


async def test_empty_body_without_media_is_accepted_and_ignored(shop: Shop, fake_twilio: FakeTwilio) -> None:
    channel = make_input(shop, fake_twilio)
    recorder = MessageRecorder()
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
        reply = await post_signed(client, "sms", inbound("SM071", body=""))
        await channel.tasks.drain()
    assert reply.status_code == 200
    assert recorder.messages == [] and fake_twilio.messages == []


async def test_whatsapp_location_becomes_share_location_and_same_customer_as_sms(shop: Shop, fake_twilio: FakeTwilio) -> None:
    sms = make_input(shop, fake_twilio)
    whatsapp = make_input(shop, fake_twilio, TwilioWhatsAppInput)
    recorder = MessageRecorder()
    async with serve_blueprint(sms.blueprint(recorder), "/webhooks/sms") as sms_client:
        await post_signed(sms_client, "sms", inbound("SM080"))
    params = inbound("SM081", body="", sender="whatsapp:+447700900123", Latitude="53.4808", Longitude="-2.2426")
    async with serve_blueprint(whatsapp.blueprint(recorder), "/webhooks/whatsapp") as wa_client:
        reply = await post_signed(wa_client, "whatsapp", params)
        await whatsapp.tasks.drain()
    await sms.tasks.drain()

    assert reply.status_code == 200
    location = recorder.messages[1]
    assert location.sender_id == "whatsapp:+447700900123"
    assert location.text == '/share_location{"latitude": 53.4808, "longitude": -2.2426}'
    assert json.loads(location.text.removeprefix("/share_location")) == {"latitude": 53.4808, "longitude": -2.2426}
    assert location.metadata["location"] == {"latitude": 53.4808, "longitude": -2.2426}
    with shop.uow() as uow:
        identities = uow.session.scalars(select(ChannelIdentity).order_by(ChannelIdentity.channel)).all()
        assert [(i.channel, i.conversation_id) for i in identities] == [
            ("sms", "sms:+447700900123"),
            ("whatsapp", "whatsapp:+447700900123"),
        ]
        assert identities[0].customer_id == identities[1].customer_id
    assert count(shop, Customer) == 1


async def test_options_are_numbered_and_a_typed_number_reaches_the_assistant_as_typed(shop: Shop, fake_twilio: FakeTwilio) -> None:
    # The conversation engine reads "2" against the options it offered (tests/bot/conversation/test_typed_options.py),
    # the same on every channel, so the connector must not rewrite it into a payload of its own.
    channel = make_input(shop, fake_twilio)
    recorder = MessageRecorder()
    buttons = [
        {"title": "Manchester Arndale", "payload": '/choose_store{"store_id": "mcr"}'},
        {"title": "Leeds Trinity", "payload": '/choose_store{"store_id": "lds"}'},
    ]
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/sms") as client:
        await post_signed(client, "sms", inbound("SM090", body="where can I collect"))
        await channel.tasks.drain()
        await channel.get_output_channel().send_text_with_buttons("sms:+447700900123", "Which store?", buttons)
        await post_signed(client, "sms", inbound("SM091", body=" 2 "))
        await post_signed(client, "sms", inbound("SM092", body="manchester arndale"))
        await channel.tasks.drain()

    assert fake_twilio.messages[0].field("Body") == (
        "Which store?\n\n1. Manchester Arndale\n2. Leeds Trinity\n\nReply with a number (1-2)."
    )
    assert recorder.texts == ["where can I collect", "2", "manchester arndale"]


async def test_output_channel_posts_exact_twilio_fields_and_splits_long_texts(shop: Shop, fake_twilio: FakeTwilio) -> None:
    channel = make_input(shop, fake_twilio)
    long_text = " ".join(f"Sentence number {n} tells you about boots." for n in range(60))
    await channel.get_output_channel().send_text_message("sms:+447700900123", long_text)

    assert len(fake_twilio.messages) == 2
    first = fake_twilio.messages[0]
    assert first.account_sid == ACCOUNT_SID and first.auth_user == ACCOUNT_SID
    assert first.form["To"] == [SHOPPER]
    assert first.form["From"] == ["+447700900000"]
    assert first.form["StatusCallback"] == [f"{PUBLIC_URL}/twilio/status"]
    bodies = [message.field("Body") for message in fake_twilio.messages]
    assert all(len(body) <= 1600 for body in bodies)
    assert all(body.endswith("boots.") for body in bodies)
    assert " ".join(bodies) == long_text
    with shop.uow() as uow:
        rows = uow.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
        assert [row.status for row in rows] == ["sent", "sent"]
        assert [row.provider_message_id for row in rows] == [message.sid for message in fake_twilio.messages]
        bot_lines = uow.session.scalars(select(ChatMessage).where(ChatMessage.author == "bot")).all()
        assert [line.text for line in bot_lines] == [long_text]  # one transcript line per bot message


async def test_output_channel_refuses_a_conversation_of_another_channel(shop: Shop, fake_twilio: FakeTwilio) -> None:
    channel = make_input(shop, fake_twilio)
    with pytest.raises(ValueError, match="cannot reach"):
        await channel.get_output_channel().send_text_message("whatsapp:+447700900123", "hi")
    assert fake_twilio.messages == []
