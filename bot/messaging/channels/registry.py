"""Choosing each channel's sender from the environment: the provider when credentials exist, else the outbox."""

from __future__ import annotations

from typing import Mapping

from bot.messaging.channels.meta import MetaCredentials, MetaSender
from bot.messaging.channels.outbox import OutboxSender
from bot.messaging.channels.telegram import TelegramCredentials, TelegramSender
from bot.messaging.channels.twilio import TwilioCredentials, TwilioSender
from bot.messaging.channels.types import ChannelSender
from bot.kernel.shop import Shop

CHANNELS = ("sms", "whatsapp", "messenger", "instagram", "telegram")


def build_sender(shop: Shop, channel: str, environ: Mapping[str, str] | None = None) -> ChannelSender:
    """The sender of one channel (see module docstring).

    Raises:
        ValueError: unknown channel.
    """
    if channel in {"sms", "whatsapp"}:
        twilio = TwilioCredentials.from_env(environ)
        return TwilioSender(shop, channel, twilio) if twilio.can_send(channel) else OutboxSender(shop, channel)
    if channel in {"messenger", "instagram"}:
        meta = MetaCredentials.from_env(environ)
        return MetaSender(shop, channel, meta) if meta.page_token(channel) else OutboxSender(shop, channel)
    if channel == "telegram":
        telegram = TelegramCredentials.from_env(environ)
        return TelegramSender(shop, telegram) if telegram.bot_token else OutboxSender(shop, channel)
    raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")


def build_senders(shop: Shop, environ: Mapping[str, str] | None = None) -> dict[str, ChannelSender]:
    """Every channel's sender, keyed by channel name (what `retry_due_messages` and the bot server use)."""
    return {channel: build_sender(shop, channel, environ) for channel in CHANNELS}
