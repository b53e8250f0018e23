"""Credentials come from the environment; a channel without its secret rejects every request."""

from __future__ import annotations

import logging

import pytest
from rasa.core.run import _create_single_channel

from bot.messaging.channels.meta import MetaSender
from bot.messaging.channels.outbox import OutboxSender
from bot.messaging.channels.registry import build_sender, build_senders
from bot.messaging.channels.telegram import TelegramSender
from bot.messaging.channels.twilio import TwilioSender
from bot.kernel.shop import Shop
from connectors._base import ChannelInput
from tests.connectors.helpers import MessageRecorder, serve_blueprint

ALL_VARIABLES = [
    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_SMS_FROM", "TWILIO_WHATSAPP_FROM", "TWILIO_PUBLIC_URL",
    "TWILIO_API_BASE", "TWILIO_STATUS_CALLBACK_URL", "WHATSAPP_TEMPLATE_SID", "META_APP_SECRET", "META_VERIFY_TOKEN",
    "MESSENGER_PAGE_TOKEN", "INSTAGRAM_PAGE_TOKEN", "META_GRAPH_BASE", "TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN",
    "TELEGRAM_API_BASE", "SHOP_PUBLIC_URL",
]  # fmt: skip

CHANNELS = {
    "connectors.twilio.TwilioSmsInput": ("sms", "TWILIO_AUTH_TOKEN"),
    "connectors.twilio.TwilioWhatsAppInput": ("whatsapp", "TWILIO_AUTH_TOKEN"),
    "connectors.meta.MessengerInput": ("messenger", "META_APP_SECRET"),
    "connectors.meta.InstagramInput": ("instagram", "META_APP_SECRET"),
    "connectors.telegram.TelegramInput": ("telegram", "TELEGRAM_SECRET_TOKEN"),
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("module_path", sorted(CHANNELS))
async def test_channel_without_secret_rejects_every_request(
    module_path: str, clean_env: pytest.MonkeyPatch, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    name, variable = CHANNELS[module_path]
    channel = _create_single_channel(module_path, {})  # exactly how `rasa run` builds it from credentials.yml
    assert isinstance(channel, ChannelInput) and channel.name() == name
    recorder = MessageRecorder()
    with caplog.at_level(logging.ERROR):
        async with serve_blueprint(channel.blueprint(recorder), f"/webhooks/{name}") as client:
            reply = await client.post(f"/webhooks/{name}/webhook", content=b"{}", headers={"Content-Type": "application/json"})
    assert reply.status_code == 403
    assert f"{variable} is not set" in caplog.text
    assert recorder.messages == []


async def test_credentials_are_read_from_the_environment(clean_env: pytest.MonkeyPatch, shop: Shop) -> None:
    clean_env.setenv("TWILIO_AUTH_TOKEN", "tok")
    clean_env.setenv("TWILIO_PUBLIC_URL", "https://public.example.com/")
    clean_env.setenv("SHOP_PUBLIC_URL", "https://bot.example.com")
    clean_env.setenv("META_APP_SECRET", "app-secret")
    clean_env.setenv("TELEGRAM_SECRET_TOKEN", "tg")
    sms = _create_single_channel("connectors.twilio.TwilioSmsInput", {})
    messenger = _create_single_channel("connectors.meta.MessengerInput", {})
    telegram = _create_single_channel("connectors.telegram.TelegramInput", {})
    assert (sms.credentials.auth_token, sms.credentials.public_url) == ("tok", "https://public.example.com")
    assert sms.credentials.status_callback_url == "https://bot.example.com/twilio/status"
    assert sms.credentials.api_base == "https://api.twilio.com"
    assert messenger.credentials.app_secret == "app-secret"
    assert telegram.credentials.secret_token == "tg"


def test_senders_use_providers_only_when_credentials_exist(clean_env: pytest.MonkeyPatch, shop: Shop) -> None:
    outbox_only = build_senders(shop)
    assert {name: type(sender) for name, sender in outbox_only.items()} == {
        name: OutboxSender for name in ("sms", "whatsapp", "messenger", "instagram", "telegram")
    }
    env = {
        "TWILIO_ACCOUNT_SID": "AC1",
        "TWILIO_AUTH_TOKEN": "tok",
        "TWILIO_SMS_FROM": "+447700900000",
        "MESSENGER_PAGE_TOKEN": "page",
        "TELEGRAM_BOT_TOKEN": "1:abc",
    }
    configured = build_senders(shop, env)
    assert isinstance(configured["sms"], TwilioSender)
    assert isinstance(configured["whatsapp"], OutboxSender)  # no TWILIO_WHATSAPP_FROM
    assert isinstance(configured["messenger"], MetaSender)
    assert isinstance(configured["instagram"], OutboxSender)
    assert isinstance(configured["telegram"], TelegramSender)
    with pytest.raises(ValueError, match="unknown channel"):
        build_sender(shop, "fax")
