"""Messenger and Instagram webhooks and sends, signed and answered exactly as Meta does."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from bot.messaging.channels.meta import MetaCredentials, MetaSender
from bot.messaging.channels.types import OutboundText
from bot.kernel.models import ChannelIdentity, ChatMessage, InboundDelivery, OutboundMessage
from bot.identity.customers import record_inbound_identity
from bot.kernel.shop import Shop
from connectors.meta import InstagramInput, MessengerInput, MetaInputBase
from tests.connectors.helpers import MessageRecorder, fake_json_api, serve_blueprint
from tests.support.signing import meta_request, meta_signature

APP_SECRET = "meta-app-secret"
VERIFY_TOKEN = "meta-verify-token"
PSID = "24680135791"
GRAPH_ANSWER = {"recipient_id": PSID, "message_id": "m_sent_1"}


def make_input(shop: Shop, api_base: str = "http://127.0.0.1:9", cls: type[MetaInputBase] = MessengerInput, **overrides: str) -> MetaInputBase:
    values = {
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "messenger_page_token": "page-token-m",
        "instagram_page_token": "page-token-ig",
        "graph_base": api_base,
    }
    values.update(overrides)
    creds = MetaCredentials(**values)
    # The MessageRecorder stands in for Rasa and never answers: no apology for the silent turn.
    return cls(creds, shop=shop, sender=MetaSender(shop, cls.channel, creds), apologise_when_silent=False)


def message_event(mid: str, text: str, sender: str = PSID, **message: object) -> dict:
    return {"sender": {"id": sender}, "recipient": {"id": "PAGE"}, "timestamp": 1700000000000, "message": {"mid": mid, "text": text, **message}}


def batch(*entries: list[dict], obj: str = "page") -> dict:
    return {"object": obj, "entry": [{"id": "PAGE", "time": 1700000000000, "messaging": events} for events in entries]}


def count(shop: Shop, model: type) -> int:
    with shop.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)))


async def test_handshake_echoes_challenge_only_for_the_right_token(shop: Shop) -> None:
    channel = make_input(shop)
    async with serve_blueprint(channel.blueprint(MessageRecorder()), "/webhooks/messenger") as client:
        good = await client.get(
            "/webhooks/messenger/webhook",
            params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
        )
        wrong = await client.get(
            "/webhooks/messenger/webhook",
            params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"},
        )
        wrong_mode = await client.get(
            "/webhooks/messenger/webhook",
            params={"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        )
    assert (good.status_code, good.text) == (200, "1158201444")
    assert wrong.status_code == 403 and "1158201444" not in wrong.text
    assert wrong_mode.status_code == 403


async def test_batch_with_several_entries_is_handled_whole_and_noise_ignored(shop: Shop) -> None:
    channel = make_input(shop)
    recorder = MessageRecorder()
    payload = batch(
        [
            message_event("mid.1", "Do you have tents?"),
            {"sender": {"id": PSID}, "recipient": {"id": "PAGE"}, "delivery": {"mids": ["mid.x"], "watermark": 1}},
            {"sender": {"id": PSID}, "recipient": {"id": "PAGE"}, "read": {"watermark": 1}},
            message_event("mid.echo", "bot text", is_echo=True),
        ],
        [
            message_event("mid.2", "", sender="13579", quick_reply={"payload": "/affirm"}),
            {"sender": {"id": "13579"}, "recipient": {"id": "PAGE"}, "timestamp": 5, "postback": {"mid": "mid.3", "title": "Track order", "payload": "/track_order"}},
        ],
    )
    body, headers = meta_request(APP_SECRET, payload)
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/messenger") as client:
        reply = await client.post("/webhooks/messenger/webhook", content=body, headers=headers)
        await channel.tasks.drain()
    assert reply.status_code == 200
    assert sorted((m.sender_id, m.text) for m in recorder.messages) == [
        ("messenger:13579", "/affirm"),
        ("messenger:13579", "/track_order"),
        ("messenger:24680135791", "Do you have tents?"),
    ]
    assert count(shop, InboundDelivery) == 3
    with shop.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ChannelIdentity)) == 2


async def test_forged_unsigned_and_missing_secret_get_403(shop: Shop, caplog: pytest.LogCaptureFixture) -> None:
    recorder = MessageRecorder()
    payload = batch([message_event("mid.9", "hi")])
    body, headers = meta_request("wrong-secret", payload)
    channel = make_input(shop)
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/messenger") as client:
        forged = await client.post("/webhooks/messenger/webhook", content=body, headers=headers)
        legacy = await client.post(
            "/webhooks/messenger/webhook", content=body, headers={"X-Hub-Signature": "sha1=00", "Content-Type": "application/json"}
        )
    unconfigured = make_input(shop, app_secret="")
    good_body, good_headers = meta_request(APP_SECRET, payload)
    with caplog.at_level(logging.ERROR, logger="connectors.meta"):
        async with serve_blueprint(unconfigured.blueprint(recorder), "/webhooks/messenger") as client:
            missing = await client.post("/webhooks/messenger/webhook", content=good_body, headers=good_headers)
    assert [forged.status_code, legacy.status_code, missing.status_code] == [403, 403, 403]
    assert "META_APP_SECRET is not set" in caplog.text and APP_SECRET not in caplog.text
    assert recorder.messages == []
    assert count(shop, InboundDelivery) == 0


async def test_replayed_mid_is_processed_once_and_malformed_body_is_400(shop: Shop) -> None:
    channel = make_input(shop)
    recorder = MessageRecorder()
    body, headers = meta_request(APP_SECRET, batch([message_event("mid.7", "hello")]))
    bad_json = b"{not json"
    _, bad_headers = meta_request(APP_SECRET, {})
    bad_headers["X-Hub-Signature-256"] = meta_signature(APP_SECRET, bad_json)
    no_entries, no_entry_headers = meta_request(APP_SECRET, {"object": "page"})
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/messenger") as client:
        first = await client.post("/webhooks/messenger/webhook", content=body, headers=headers)
        replay = await client.post("/webhooks/messenger/webhook", content=body, headers=headers)
        malformed = await client.post("/webhooks/messenger/webhook", content=bad_json, headers=bad_headers)
        missing = await client.post("/webhooks/messenger/webhook", content=no_entries, headers=no_entry_headers)
        await channel.tasks.drain()
    assert [first.status_code, replay.status_code, malformed.status_code, missing.status_code] == [200, 200, 400, 400]
    assert recorder.texts == ["hello"]
    assert count(shop, ChatMessage) == 1


async def test_instagram_accepts_only_instagram_objects(shop: Shop) -> None:
    channel = make_input(shop, cls=InstagramInput)
    recorder = MessageRecorder()
    page_body, page_headers = meta_request(APP_SECRET, batch([message_event("mid.p", "hi")], obj="page"))
    ig_body, ig_headers = meta_request(APP_SECRET, batch([message_event("mid.i", "hi from insta", sender="IG1")], obj="instagram"))
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/instagram") as client:
        wrong = await client.post("/webhooks/instagram/webhook", content=page_body, headers=page_headers)
        right = await client.post("/webhooks/instagram/webhook", content=ig_body, headers=ig_headers)
        await channel.tasks.drain()
    assert [wrong.status_code, right.status_code] == [200, 200]
    assert [(m.sender_id, m.text, m.input_channel) for m in recorder.messages] == [("instagram:IG1", "hi from insta", "instagram")]


async def test_replies_use_quick_replies_within_meta_limits(shop: Shop) -> None:
    async with fake_json_api(GRAPH_ANSWER) as graph:
        channel = make_input(shop, graph.base_url)
        recorder = MessageRecorder()
        body, headers = meta_request(APP_SECRET, batch([message_event("mid.20", "which size?")]))
        async with serve_blueprint(channel.blueprint(recorder), "/webhooks/messenger") as client:
            await client.post("/webhooks/messenger/webhook", content=body, headers=headers)
            await channel.tasks.drain()
        buttons = [{"title": f"UK size {n} (regular fit)", "payload": f"/size{{\"size\": {n}}}"} for n in range(3, 6)]
        await channel.get_output_channel().send_text_with_buttons(f"messenger:{PSID}", "Pick a size", buttons)

    call = graph.calls[0]
    assert call.path.endswith("/me/messages")
    assert call.query == {"access_token": "page-token-m"}
    assert call.body == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {
            "text": "Pick a size",
            "quick_replies": [
                {"content_type": "text", "title": "UK size 3 (regular…", "payload": '/size{"size": 3}'},
                {"content_type": "text", "title": "UK size 4 (regular…", "payload": '/size{"size": 4}'},
                {"content_type": "text", "title": "UK size 5 (regular…", "payload": '/size{"size": 5}'},
            ],
        },
    }
    assert all(len(reply["title"]) <= 20 for reply in call.body["message"]["quick_replies"])
    with shop.uow() as uow:
        row = uow.session.scalars(select(OutboundMessage)).one()
        assert (row.status, row.provider_message_id) == ("sent", "m_sent_1")


async def test_more_than_thirteen_options_are_numbered_instead(shop: Shop) -> None:
    async with fake_json_api(GRAPH_ANSWER) as graph:
        channel = make_input(shop, graph.base_url)
        await _open_window(shop, "messenger", PSID)
        buttons = [{"title": f"Store {n}", "payload": f"/store{n}"} for n in range(1, 15)]
        await channel.get_output_channel().send_text_with_buttons(f"messenger:{PSID}", "Which store?", buttons)
    message = graph.calls[0].body["message"]
    assert "quick_replies" not in message
    assert message["text"].startswith("Which store?\n\n1. Store 1\n") and "14. Store 14" in message["text"]


async def _open_window(shop: Shop, channel: str, address: str, at: datetime | None = None) -> None:
    await shop.call(record_inbound_identity, channel, address, now=at or datetime.now(timezone.utc))


async def _age_window(shop: Shop, hours: int) -> None:
    def age(uow) -> None:  # type: ignore[no-untyped-def]
        uow.session.execute(update(ChannelIdentity).values(last_inbound_at=datetime.now(timezone.utc) - timedelta(hours=hours)))
        uow.commit()

    await shop.call(age)


async def test_messenger_outside_window_sends_tagged_update_or_is_blocked(shop: Shop) -> None:
    creds = MetaCredentials(app_secret=APP_SECRET, messenger_page_token="page-token-m", instagram_page_token="page-token-ig")
    async with fake_json_api(GRAPH_ANSWER) as graph:
        creds = MetaCredentials(**{**creds.__dict__, "graph_base": graph.base_url})
        sender = MetaSender(shop, "messenger", creds)
        await _open_window(shop, "messenger", PSID)
        await _age_window(shop, 25)
        tagged = await sender.send(
            OutboundText("messenger", PSID, "Your order is ready to collect", f"messenger:{PSID}", message_tag="POST_PURCHASE_UPDATE")
        )
        untagged = await sender.send(OutboundText("messenger", PSID, "Anything else?", f"messenger:{PSID}"))
    assert tagged.status == "sent" and untagged.status == "blocked_window"
    assert [call.body for call in graph.calls] == [
        {
            "recipient": {"id": PSID},
            "messaging_type": "MESSAGE_TAG",
            "tag": "POST_PURCHASE_UPDATE",
            "message": {"text": "Your order is ready to collect"},
        }
    ]


async def test_instagram_outside_window_is_blocked_with_a_reason_and_nothing_sent(shop: Shop) -> None:
    async with fake_json_api(GRAPH_ANSWER) as graph:
        creds = MetaCredentials(app_secret=APP_SECRET, instagram_page_token="page-token-ig", graph_base=graph.base_url)
        sender = MetaSender(shop, "instagram", creds)
        await _open_window(shop, "instagram", "IG1")
        await _age_window(shop, 30)
        result = await sender.send(
            OutboundText("instagram", "IG1", "Your order is ready", "instagram:IG1", message_tag="POST_PURCHASE_UPDATE")
        )
        never_wrote = await sender.send(OutboundText("instagram", "IG2", "hello", "instagram:IG2"))
    assert graph.calls == []
    assert result.status == "blocked_window" and "Instagram has no POST_PURCHASE_UPDATE" in result.reason
    assert never_wrote.status == "blocked_window"
    with shop.uow() as uow:
        statuses = uow.session.scalars(select(OutboundMessage.status)).all()
    assert statuses == ["blocked_window", "blocked_window"]


async def test_graph_errors_are_recorded_transient_or_final(shop: Shop) -> None:
    async with fake_json_api(GRAPH_ANSWER) as graph:
        creds = MetaCredentials(messenger_page_token="page-token-m", graph_base=graph.base_url)
        sender = MetaSender(shop, "messenger", creds)
        await _open_window(shop, "messenger", PSID)
        graph.answer_next(500, {"error": {"message": "Service temporarily unavailable", "code": 2}})
        graph.answer_next(400, {"error": {"message": "(#100) No matching user found", "code": 100}})
        transient = await sender.send(OutboundText("messenger", PSID, "one", f"messenger:{PSID}"))
        final = await sender.send(OutboundText("messenger", PSID, "two", f"messenger:{PSID}"))
    assert transient.status == "retrying" and "Service temporarily unavailable" in transient.reason
    assert final.status == "failed" and "No matching user found" in final.reason
    assert "page-token-m" not in transient.reason + final.reason

