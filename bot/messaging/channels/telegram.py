"""Telegram through the Bot API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from bot.kernel.config import Settings, load_settings
from bot.messaging.channels._http import post_json
from bot.messaging.channels.base import RecordingSender
from bot.messaging.channels.types import OutboundText
from bot.messaging.channel_rules import OutboundPlan
from bot.kernel.shop import Shop

TELEGRAM_API_BASE = "https://api.telegram.org"


@dataclass(frozen=True)
class TelegramCredentials:
    """Telegram settings (Settings)."""

    bot_token: str = ""
    secret_token: str = ""
    api_base: str = TELEGRAM_API_BASE

    @classmethod
    def from_settings(cls, settings: Settings) -> "TelegramCredentials":
        return cls(
            bot_token=settings.telegram_bot_token,
            secret_token=settings.telegram_secret_token,
            api_base=(settings.telegram_api_base or TELEGRAM_API_BASE).rstrip("/"),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "TelegramCredentials":
        """The credentials in the environment (or in `environ`), read through Settings."""
        return cls.from_settings(load_settings(environ))


class TelegramSender(RecordingSender):
    """Sends Telegram messages (sendMessage, or sendPhoto for images) and answers button taps."""

    def __init__(self, shop: Shop, credentials: TelegramCredentials) -> None:
        super().__init__(shop, "telegram")
        self.credentials = credentials

    def method_url(self, method: str) -> str:
        return f"{self.credentials.api_base}/bot{self.credentials.bot_token}/{method}"

    @staticmethod
    def request(message: OutboundText) -> tuple[str, dict[str, Any]]:
        """(Bot API method, JSON body) for this message."""
        body: dict[str, Any] = {"chat_id": message.recipient}
        if message.media_url:
            method = "sendPhoto"
            body["photo"] = message.media_url
            if message.text:
                body["caption"] = message.text
        else:
            method = "sendMessage"
            body["text"] = message.text
        if message.reply_markup:
            body["reply_markup"] = message.reply_markup
        return method, body

    async def _transmit(self, message: OutboundText, plan: OutboundPlan) -> str | None:
        method, body = self.request(message)
        answer = await post_json("Telegram Bot API", self.method_url(method), body)
        result = answer.get("result") or {}
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return f"{message.recipient}:{message_id}" if message_id is not None else None

    async def answer_callback_query(self, callback_query_id: str) -> None:
        """Stops the spinner on a tapped inline button (Telegram expects an answer to every callback query)."""
        await post_json("Telegram Bot API", self.method_url("answerCallbackQuery"), {"callback_query_id": callback_query_id})
