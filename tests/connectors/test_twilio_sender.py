"""TwilioSender with the real `twilio` library posting to a fake Twilio API, and the status callback route."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from bot.messaging.channels.outbox import OutboxSender
from bot.messaging.channels.twilio import TwilioCredentials, TwilioSender
from bot.messaging.channels.types import ContentTemplate, OutboundText
from bot.kernel.models import ChannelIdentity, OutboundMessage
from bot.server.messaging_routes import build_messaging_blueprint
from bot.identity.customers import record_inbound_identity
from bot.messaging.channel_rules import opt_out
from bot.orchestration.message_retries import retry_due_messages
from bot.kernel.shop import Shop
from tests.connectors.helpers import serve_blueprint
from tests.support.fake_twilio import FakeTwilio
from tests.support.signing import twilio_request

ACCOUNT_SID = "AC" + "2" * 32
SHOPPER = "+447700900123"
STATUS_URL = "https://shop.example.com/twilio/status"


def creds(fake: FakeTwilio, **overrides: str) -> TwilioCredentials:
    values = {
        "account_sid": ACCOUNT_SID,
        "auth_token": fake.auth_token,
        "sms_from": "+447700900000",
        "whatsapp_from": "+447700900001",
        "api_base": fake.base_url,
        "status_callback_url": STATUS_URL,
    }
    values.update(overrides)
    return TwilioCredentials(**values)


def sms(text: str, **fields: object) -> OutboundText:
    return OutboundText("sms", SHOPPER, text, f"sms:{SHOPPER}", **fields)  # type: ignore[arg-type]


def whatsapp(text: str, **fields: object) -> OutboundText:
    return OutboundText("whatsapp", SHOPPER, text, f"whatsapp:{SHOPPER}", **fields)  # type: ignore[arg-type]


def rows(shop: Shop) -> list[OutboundMessage]:
    with shop.uow() as uow:
        found = list(uow.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all())
        uow.session.expunge_all()  # the unit of work rolls back on exit, which would expire them
        return found


async def shopper_wrote(shop: Shop, channel: str, hours_ago: float = 0) -> None:
    await shop.call(record_inbound_identity, channel, SHOPPER, now=datetime.now(timezone.utc) - timedelta(hours=hours_ago))


async def test_sms_posts_exactly_to_from_body_and_status_callback(shop: Shop, fake_twilio: FakeTwilio) -> None:
    result = await TwilioSender(shop, "sms", creds(fake_twilio)).send(sms("Your boots are reserved."))

    assert len(fake_twilio.messages) == 1
    posted = fake_twilio.messages[0]
    assert (posted.account_sid, posted.auth_user) == (ACCOUNT_SID, ACCOUNT_SID)
    assert posted.form == {
        "To": [SHOPPER],
        "From": ["+447700900000"],
        "Body": ["Your boots are reserved."],
        "StatusCallback": [STATUS_URL],
    }
    assert (result.status, result.provider_message_id) == ("sent", posted.sid)
    [row] = rows(shop)
    assert (row.status, row.provider_message_id, row.attempts, row.channel, row.recipient) == (
        "sent",
        posted.sid,
        1,
        "sms",
        SHOPPER,
    )


async def test_whatsapp_inside_window_is_free_form(shop: Shop, fake_twilio: FakeTwilio) -> None:
    await shopper_wrote(shop, "whatsapp", hours_ago=23)
    sender = TwilioSender(shop, "whatsapp", creds(fake_twilio, whatsapp_template_sid="HX" + "d" * 32))
    result = await sender.send(whatsapp("Still there?", media_url="https://cdn.example.com/boot.jpg"))
    assert result.status == "sent"
    assert fake_twilio.messages[0].form == {
        "To": ["whatsapp:+447700900123"],
        "From": ["whatsapp:+447700900001"],
        "Body": ["Still there?"],
        "MediaUrl": ["https://cdn.example.com/boot.jpg"],
        "StatusCallback": [STATUS_URL],
    }


async def test_whatsapp_outside_window_uses_the_template(shop: Shop, fake_twilio: FakeTwilio) -> None:
    await shopper_wrote(shop, "whatsapp", hours_ago=25)
    sender = TwilioSender(shop, "whatsapp", creds(fake_twilio))
    template = ContentTemplate("HX" + "a" * 32, {"1": "FO-1234", "2": "Manchester Arndale"})
    result = await sender.send(whatsapp("Order FO-1234 is ready", template=template))
    assert result.status == "sent"
    form = fake_twilio.messages[0].form
    assert "Body" not in form
    assert form["ContentSid"] == ["HX" + "a" * 32]
    assert json.loads(form["ContentVariables"][0]) == {"1": "FO-1234", "2": "Manchester Arndale"}
    assert form["To"] == ["whatsapp:+447700900123"] and form["StatusCallback"] == [STATUS_URL]


async def test_whatsapp_outside_window_falls_back_to_the_configured_template_or_is_blocked(
    shop: Shop, fake_twilio: FakeTwilio
) -> None:
    await shopper_wrote(shop, "whatsapp", hours_ago=48)
    blocked = await TwilioSender(shop, "whatsapp", creds(fake_twilio)).send(whatsapp("Order ready"))
    assert blocked.status == "blocked_window" and "24-hour window" in blocked.reason
    assert fake_twilio.messages == []

    fallback = TwilioSender(shop, "whatsapp", creds(fake_twilio, whatsapp_template_sid="HX" + "b" * 32))
    assert (await fallback.send(whatsapp("Order ready"))).status == "sent"
    form = fake_twilio.messages[0].form
    assert form["ContentSid"] == ["HX" + "b" * 32]
    assert json.loads(form["ContentVariables"][0]) == {"1": "Order ready"}
    assert [row.status for row in rows(shop)] == ["blocked_window", "sent"]


async def test_opted_out_phone_gets_nothing_on_sms_or_whatsapp(shop: Shop, fake_twilio: FakeTwilio) -> None:
    await shopper_wrote(shop, "whatsapp")
    await shop.call(opt_out, SHOPPER, "STOP")
    sms_result = await TwilioSender(shop, "sms", creds(fake_twilio)).send(sms("Sale on now"))
    wa_result = await TwilioSender(shop, "whatsapp", creds(fake_twilio)).send(whatsapp("Sale on now"))
    outbox_result = await OutboxSender(shop, "sms").send(sms("Sale on now"))
    assert [sms_result.status, wa_result.status, outbox_result.status] == ["opted_out", "opted_out", "opted_out"]
    assert fake_twilio.messages == []
    assert [row.status for row in rows(shop)] == ["opted_out"] * 3


async def test_outbox_records_without_sending(shop: Shop, fake_twilio: FakeTwilio) -> None:
    result = await OutboxSender(shop, "sms").send(sms("Your code is 123456"))
    assert result.status == "outbox"
    [row] = rows(shop)
    assert (row.status, row.body, row.provider_message_id) == ("outbox", "Your code is 123456", None)
    assert fake_twilio.messages == []


async def test_server_error_is_retried_with_backoff_by_the_sweeper(shop: Shop, fake_twilio: FakeTwilio) -> None:
    sender = TwilioSender(shop, "sms", creds(fake_twilio))
    fake_twilio.fail_next(503, 20503, "Service unavailable")
    before = datetime.now(timezone.utc)
    first = await sender.send(sms("Pickup reminder"))
    assert first.status == "retrying" and fake_twilio.messages == []
    [row] = rows(shop)
    due = row.next_attempt_at.replace(tzinfo=timezone.utc)
    assert timedelta(seconds=29) <= due - before <= timedelta(seconds=35)
    assert row.attempts == 1 and "20503" in row.last_error

    assert await retry_due_messages(shop, {"sms": sender}) == []  # not due yet
    results = await retry_due_messages(shop, {"sms": sender}, now=due + timedelta(seconds=1))
    assert [result.status for result in results] == ["sent"]
    assert [message.field("Body") for message in fake_twilio.messages] == ["Pickup reminder"]
    [row] = rows(shop)
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 2, fake_twilio.messages[0].sid)


async def test_retry_rechecks_opt_out(shop: Shop, fake_twilio: FakeTwilio) -> None:
    sender = TwilioSender(shop, "sms", creds(fake_twilio))
    fake_twilio.fail_next(500, 20500, "Internal error")
    await sender.send(sms("Pickup reminder"))
    await shop.call(opt_out, SHOPPER, "STOP")
    results = await retry_due_messages(shop, {"sms": sender}, now=datetime.now(timezone.utc) + timedelta(hours=1))
    assert [result.status for result in results] == ["opted_out"]
    assert fake_twilio.messages == []


async def test_client_error_fails_without_retry_and_unreachable_api_retries(shop: Shop, fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(400, 21211, "The 'To' number is not a valid phone number.")
    failed = await TwilioSender(shop, "sms", creds(fake_twilio)).send(sms("hello"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_base = f"http://127.0.0.1:{probe.getsockname()[1]}"
    unreachable = await TwilioSender(shop, "sms", creds(fake_twilio, api_base=dead_base)).send(sms("hello again"))
    assert failed.status == "failed" and "21211" in failed.reason
    assert unreachable.status == "retrying"
    assert [(row.status, row.next_attempt_at is None) for row in rows(shop)] == [("failed", True), ("retrying", False)]


async def test_dedupe_key_sends_once(shop: Shop, fake_twilio: FakeTwilio) -> None:
    sender = TwilioSender(shop, "sms", creds(fake_twilio))
    first = await sender.send(sms("Order FO-1 is ready", dedupe_key="pickup:FO-1"))
    second = await sender.send(sms("Order FO-1 is ready", dedupe_key="pickup:FO-1"))
    assert (first.status, second.status) == ("sent", "duplicate")
    assert second.outbound_id == first.outbound_id
    assert len(fake_twilio.messages) == 1


async def test_status_callbacks_are_signed_and_never_move_status_backwards(shop: Shop, fake_twilio: FakeTwilio) -> None:
    result = await TwilioSender(shop, "sms", creds(fake_twilio)).send(sms("hi"))
    sid = result.provider_message_id
    blueprint = build_messaging_blueprint(shop, creds(fake_twilio))

    def signed(status: str, token: str = fake_twilio.auth_token, **extra: str) -> tuple[bytes, dict[str, str]]:
        params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID, "To": SHOPPER, **extra}
        return twilio_request(token, STATUS_URL, params)

    async with serve_blueprint(blueprint) as client:
        forged = await client.post("/twilio/status", content=signed("failed", token="nope")[0], headers=signed("failed", token="nope")[1])
        after_forged = rows(shop)[0].status
        delivered = await client.post("/twilio/status", content=signed("delivered")[0], headers=signed("delivered")[1])
        late_sent = await client.post("/twilio/status", content=signed("sent")[0], headers=signed("sent")[1])
        body, headers = twilio_request(fake_twilio.auth_token, STATUS_URL, {"MessageSid": "SMunknown", "MessageStatus": "delivered"})
        unknown = await client.post("/twilio/status", content=body, headers=headers)
        body, headers = twilio_request(fake_twilio.auth_token, STATUS_URL, {"MessageSid": sid})
        incomplete = await client.post("/twilio/status", content=body, headers=headers)

    assert forged.status_code == 403 and after_forged == "sent"
    assert [delivered.status_code, late_sent.status_code, unknown.status_code, incomplete.status_code] == [204, 204, 204, 400]
    assert rows(shop)[0].status == "delivered"


async def test_status_callback_failure_records_error_code(shop: Shop, fake_twilio: FakeTwilio) -> None:
    result = await TwilioSender(shop, "sms", creds(fake_twilio)).send(sms("hi"))
    params = {"MessageSid": result.provider_message_id, "MessageStatus": "undelivered", "ErrorCode": "30006"}
    async with serve_blueprint(build_messaging_blueprint(shop, creds(fake_twilio))) as client:
        body, headers = twilio_request(fake_twilio.auth_token, STATUS_URL, params)
        assert (await client.post("/twilio/status", content=body, headers=headers)).status_code == 204
    row = rows(shop)[0]
    assert (row.status, row.last_error) == ("undelivered", "provider error 30006")


async def test_status_callback_without_auth_token_is_rejected(shop: Shop, fake_twilio: FakeTwilio) -> None:
    async with serve_blueprint(build_messaging_blueprint(shop, creds(fake_twilio, auth_token=""))) as client:
        body, headers = twilio_request("", STATUS_URL, {"MessageSid": "SM1", "MessageStatus": "delivered"})
        assert (await client.post("/twilio/status", content=body, headers=headers)).status_code == 403


async def test_window_is_measured_from_last_inbound(shop: Shop, fake_twilio: FakeTwilio) -> None:
    await shopper_wrote(shop, "whatsapp", hours_ago=1)

    def close_window(uow) -> None:  # type: ignore[no-untyped-def]
        uow.session.execute(update(ChannelIdentity).values(last_inbound_at=datetime.now(timezone.utc) - timedelta(hours=24, minutes=1)))
        uow.commit()

    sender = TwilioSender(shop, "whatsapp", creds(fake_twilio))
    assert (await sender.send(whatsapp("within"))).status == "sent"
    await shop.call(close_window)
    assert (await sender.send(whatsapp("after"))).status == "blocked_window"
    assert [message.field("Body") for message in fake_twilio.messages] == ["within"]
