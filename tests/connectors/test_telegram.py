"""Telegram webhooks (secret header) and Bot API sends against a local fake."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.messaging.channels.telegram import TelegramCredentials, TelegramSender
from bot.kernel.models import InboundDelivery, OutboundMessage
from bot.kernel.shop import Shop
from connectors.telegram import TelegramInput
from tests.connectors.helpers import MessageRecorder, fake_json_api, serve_blueprint
from tests.support.signing import telegram_request

SECRET = "tg-secret-token"
BOT_TOKEN = "123456:ABC-test"
CHAT = 987654321
BOT_API_ANSWER = {"ok": True, "result": {"message_id": 42, "chat": {"id": CHAT}}}


def make_input(shop: Shop, api_base: str = "http://127.0.0.1:9", secret: str = SECRET) -> TelegramInput:
    creds = TelegramCredentials(bot_token=BOT_TOKEN, secret_token=secret, api_base=api_base)
    # The MessageRecorder stands in for Rasa and never answers: no apology for the silent turn.
    return TelegramInput(creds, shop=shop, sender=TelegramSender(shop, creds), apologise_when_silent=False)


def text_update(update_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": {"id": CHAT, "is_bot": False, "first_name": "Ada"},
            "chat": {"id": CHAT, "type": "private"},
            "date": 1700000000,
            "text": text,
        },
    }


def count(shop: Shop, model: type) -> int:
    with shop.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)))


async def test_message_with_secret_reaches_rasa_once(shop: Shop) -> None:
    channel = make_input(shop)
    recorder = MessageRecorder()
    body, headers = telegram_request(SECRET, text_update(1001, "any hiking socks?"))
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/telegram") as client:
        first = await client.post("/webhooks/telegram/webhook", content=body, headers=headers)
        replay = await client.post("/webhooks/telegram/webhook", content=body, headers=headers)
        await channel.tasks.drain()
    assert [first.status_code, replay.status_code] == [200, 200]
    assert [(m.sender_id, m.text, m.input_channel, m.message_id) for m in recorder.messages] == [
        ("telegram:987654321", "any hiking socks?", "telegram", "1001")
    ]
    assert count(shop, InboundDelivery) == 1


async def test_wrong_or_missing_secret_is_403(shop: Shop, caplog: pytest.LogCaptureFixture) -> None:
    recorder = MessageRecorder()
    channel = make_input(shop)
    wrong_body, wrong_headers = telegram_request("guess", text_update(1002, "hi"))
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/telegram") as client:
        wrong = await client.post("/webhooks/telegram/webhook", content=wrong_body, headers=wrong_headers)
        absent = await client.post("/webhooks/telegram/webhook", content=wrong_body, headers={"Content-Type": "application/json"})
    unconfigured = make_input(shop, secret="")
    body, headers = telegram_request("", text_update(1003, "hi"))
    with caplog.at_level(logging.ERROR, logger="connectors.telegram"):
        async with serve_blueprint(unconfigured.blueprint(recorder), "/webhooks/telegram") as client:
            missing = await client.post("/webhooks/telegram/webhook", content=body, headers=headers)
    assert [wrong.status_code, absent.status_code, missing.status_code] == [403, 403, 403]
    assert "TELEGRAM_SECRET_TOKEN is not set" in caplog.text
    assert recorder.messages == [] and count(shop, InboundDelivery) == 0


async def test_malformed_updates_are_400_and_other_update_kinds_ignored(shop: Shop) -> None:
    channel = make_input(shop)
    recorder = MessageRecorder()
    no_id, headers = telegram_request(SECRET, {"message": {"chat": {"id": CHAT}, "text": "hi"}})
    no_chat, _ = telegram_request(SECRET, {"update_id": 7, "message": {"text": "hi"}})
    edited, _ = telegram_request(SECRET, {"update_id": 8, "edited_message": {"chat": {"id": CHAT}, "text": "hi"}})
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/telegram") as client:
        replies = [
            await client.post("/webhooks/telegram/webhook", content=payload, headers=headers)
            for payload in (no_id, no_chat, b"[]", b"{oops", edited)
        ]
        await channel.tasks.drain()
    assert [reply.status_code for reply in replies] == [400, 400, 400, 400, 200]
    assert recorder.messages == [] and count(shop, InboundDelivery) == 0


async def test_button_tap_is_answered_and_sends_the_payload(shop: Shop) -> None:
    long_payload = '/choose_variant{"sku": "BOOT-TRAIL-WATERPROOF-BROWN-UK9", "store": "mcr"}'
    async with fake_json_api(BOT_API_ANSWER) as bot_api:
        channel = make_input(shop, bot_api.base_url)
        recorder = MessageRecorder()
        await channel.get_output_channel().send_text_with_buttons(
            f"telegram:{CHAT}",
            "Which one?",
            [{"title": "Small", "payload": "/size_small"}, {"title": "Brown UK 9", "payload": long_payload}],
        )
        taps = [
            {"update_id": 2001, "callback_query": {"id": "cbq-1", "from": {"id": CHAT, "first_name": "Ada"}, "message": {"message_id": 42, "chat": {"id": CHAT}}, "data": "/size_small"}},
            {"update_id": 2002, "callback_query": {"id": "cbq-2", "from": {"id": CHAT}, "message": {"message_id": 42, "chat": {"id": CHAT}}, "data": "option:2"}},
        ]
        async with serve_blueprint(channel.blueprint(recorder), "/webhooks/telegram") as client:
            for tap in taps:
                body, headers = telegram_request(SECRET, tap)
                assert (await client.post("/webhooks/telegram/webhook", content=body, headers=headers)).status_code == 200
            await channel.tasks.drain()

    send, answer_one, answer_two = bot_api.calls
    assert send.path == f"/bot{BOT_TOKEN}/sendMessage"
    assert send.body == {
        "chat_id": str(CHAT),
        "text": "Which one?",
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Small", "callback_data": "/size_small"}],
                [{"text": "Brown UK 9", "callback_data": "option:2"}],  # payload is over Telegram's 64 bytes
            ]
        },
    }
    assert (answer_one.path, answer_one.body) == (f"/bot{BOT_TOKEN}/answerCallbackQuery", {"callback_query_id": "cbq-1"})
    assert answer_two.body == {"callback_query_id": "cbq-2"}
    assert recorder.texts == ["/size_small", long_payload]
    with shop.uow() as uow:
        row = uow.session.scalars(select(OutboundMessage)).one()
        assert (row.status, row.provider_message_id) == ("sent", f"{CHAT}:42")


async def test_start_command_and_location(shop: Shop) -> None:
    channel = make_input(shop)
    recorder = MessageRecorder()
    location = {"update_id": 3002, "message": {"message_id": 5, "chat": {"id": CHAT}, "location": {"latitude": 51.5072, "longitude": -0.1276}}}
    async with serve_blueprint(channel.blueprint(recorder), "/webhooks/telegram") as client:
        for update in (text_update(3001, "/start"), location):
            body, headers = telegram_request(SECRET, update)
            await client.post("/webhooks/telegram/webhook", content=body, headers=headers)
        await channel.tasks.drain()
    assert recorder.texts == ["hello", '/share_location{"latitude": 51.5072, "longitude": -0.1276}']
    assert recorder.messages[1].metadata["location"] == {"latitude": 51.5072, "longitude": -0.1276}


async def test_bot_api_rate_limit_schedules_a_retry(shop: Shop) -> None:
    async with fake_json_api(BOT_API_ANSWER) as bot_api:
        bot_api.answer_next(429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 5"})
        channel = make_input(shop, bot_api.base_url)
        await channel.get_output_channel().send_text_message(f"telegram:{CHAT}", "hello")
    with shop.uow() as uow:
        row = uow.session.scalars(select(OutboundMessage)).one()
        assert row.status == "retrying" and row.next_attempt_at is not None
        assert "Too Many Requests" in row.last_error and BOT_TOKEN not in row.last_error
