"""Telegram via the Bot API webhook, authenticated with X-Telegram-Bot-Api-Secret-Token.

Webhook: ``/webhooks/telegram/webhook`` (register it with setWebhook and the same secret_token).
Sender ids: ``telegram:<chat id>``. Handles messages (text, location) and inline-button taps
(callback_query, answered with answerCallbackQuery); updates are deduplicated by update_id.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.messaging.channels.telegram import TelegramCredentials, TelegramSender
from bot.messaging.channels.types import OutboundText
from bot.kernel.inbound_text import load_json_body
from bot.identity.customers import conversation_id_for
from bot.messaging.channel_rules import accept_inbound
from connectors._base import ATTACHMENT_ONLY_REPLY, ChannelInput, ChannelOutput, OnNewMessage
from connectors._rendering import (
    TELEGRAM_MAX_CHARS,
    TELEGRAM_OPTION_PREFIX,
    Option,
    split_message,
    telegram_inline_keyboard,
)
from connectors._signatures import secrets_equal

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
START_GREETING = "hello"  # what Telegram's /start becomes for the assistant


@dataclass(frozen=True)
class TelegramInbound:
    update_id: str
    chat_id: str
    text: str
    display_name: str
    callback_query_id: str | None = None
    callback_data: str | None = None
    location: dict[str, float] | None = None
    has_attachment: bool = False


def parse_update(update: dict[str, Any]) -> TelegramInbound | None:
    """The message or button tap in an update, or None for other update kinds (edits, channel posts...).

    Raises:
        ValueError: update_id missing, or a message without a chat.
    """
    update_id = update.get("update_id")
    if not _is_int(update_id):
        raise ValueError("update_id (integer) is required")
    callback = update.get("callback_query")
    message = update.get("message")
    # Each field is read only with its documented type ("chat": "x" or a callback whose message is a
    # string were 500s): a chat id is an integer, ids and texts are strings.
    if isinstance(callback, dict):
        chat = _object(_object(callback.get("message")).get("chat")).get("id")
        callback_id = callback.get("id")
        if not _is_int(chat) or not isinstance(callback_id, str) or not callback_id:
            raise ValueError("callback_query without id or message.chat.id")
        data = callback.get("data")
        return TelegramInbound(
            str(update_id),
            str(chat),
            "",
            _name(callback.get("from")),
            callback_query_id=callback_id,
            callback_data=data if isinstance(data, str) else "",
        )
    if isinstance(message, dict):
        chat = _object(message.get("chat")).get("id")
        if not _is_int(chat):
            raise ValueError("message without an integer chat.id")
        attachment = any(key in message for key in ("photo", "document", "video", "voice", "audio", "sticker"))
        text = message.get("text") or message.get("caption")
        text = text.strip() if isinstance(text, str) else ""
        coordinates = _coordinates(message.get("location"))
        return TelegramInbound(
            str(update_id), str(chat), text, _name(message.get("from")), location=coordinates, has_attachment=attachment
        )
    return None


def _name(user: Any) -> str:
    name = user.get("first_name") if isinstance(user, dict) else None
    return name[:80] if isinstance(name, str) else ""


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_int(value: Any) -> bool:
    """Telegram's ids are integers of at most 52 bits; anything else (bools, 100-digit numbers) is not an id."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63


def _coordinates(location: Any) -> dict[str, float] | None:
    """A shared location's coordinates, or None when absent or not numbers on the globe.

    Raises:
        ValueError: a location whose latitude or longitude is not a number (latitude: null).
    """
    if not isinstance(location, dict) or "latitude" not in location or "longitude" not in location:
        return None
    latitude, longitude = location["latitude"], location["longitude"]
    if not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in (latitude, longitude)):
        raise ValueError("location latitude/longitude must be numbers")
    if not (abs(latitude) <= 90 and abs(longitude) <= 180):
        raise ValueError("location outside the globe")
    return {"latitude": float(latitude), "longitude": float(longitude)}


class TelegramOutput(ChannelOutput):
    """Replies through the Bot API (or the outbox); buttons become an inline keyboard."""

    channel = CHANNEL

    def render(self, address: str, conversation_id: str, text: str, options: list[Option]) -> list[OutboundText]:
        parts = split_message(text, TELEGRAM_MAX_CHARS)
        keyboard = telegram_inline_keyboard(options) if options else None
        return [
            OutboundText(CHANNEL, address, part, conversation_id, reply_markup=keyboard if index == len(parts) - 1 else None)
            for index, part in enumerate(parts)
        ]


class TelegramInput(ChannelInput):
    """Telegram bot webhook; rejects every request unless the secret header matches TELEGRAM_SECRET_TOKEN."""

    channel = CHANNEL
    output_class = TelegramOutput
    credentials_class = TelegramCredentials
    credentials: TelegramCredentials

    async def handle_webhook(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        if not self.credentials.secret_token:
            logger.error("telegram webhook rejected: TELEGRAM_SECRET_TOKEN is not set")
            return response.text("channel not configured", status=403)
        if not secrets_equal(self.credentials.secret_token, request.headers.get(SECRET_HEADER)):
            logger.warning("telegram webhook rejected: bad %s", SECRET_HEADER)
            return response.text("invalid secret token", status=403)
        try:
            update = load_json_body(request.body)
            if not isinstance(update, dict):
                raise ValueError("update must be a JSON object")
            inbound = parse_update(update)
        except ValueError as error:
            return response.text(f"malformed update: {error}", status=400)
        if inbound is not None:
            await self.process(inbound, on_new_message)
        return response.text("ok")

    async def process(self, inbound: TelegramInbound, on_new_message: OnNewMessage) -> None:
        """Records the update once, answers button taps, and starts the dialogue turn in the background."""
        conversation_id = conversation_id_for(CHANNEL, inbound.chat_id)
        text, metadata = await self._meaning(conversation_id, inbound)
        transcript_text = inbound.text or (metadata.get("selected_option") or {}).get("title") or text or "[sent an attachment]"
        accepted = await self.shop.call(
            accept_inbound,
            CHANNEL,
            inbound.update_id,
            inbound.chat_id,
            transcript_text,
            {"location": inbound.location} if inbound.location else None,
            display_name=inbound.display_name,
            turn_text=text,
        )
        if accepted.duplicate:
            logger.info("telegram update %s already handled", inbound.update_id)
            return
        if inbound.callback_query_id and isinstance(self.sender, TelegramSender):
            try:
                await self.sender.answer_callback_query(inbound.callback_query_id)
            except Exception as error:  # noqa: BLE001 - the tap still counts even if the spinner stays
                logger.warning("answerCallbackQuery failed: %s", error)
        if not text:
            if inbound.has_attachment:
                await self.reply(conversation_id, inbound.chat_id, ATTACHMENT_ONLY_REPLY)
            else:
                await self.no_turn(conversation_id, inbound.update_id)
            return
        metadata["update_id"] = inbound.update_id
        await self.start_turn(on_new_message, text, conversation_id, inbound.update_id, metadata)

    async def _meaning(self, conversation_id: str, inbound: TelegramInbound) -> tuple[str, dict[str, Any]]:
        """What the assistant should receive: a button's payload, a location intent, or the text."""
        if inbound.location:
            return "/share_location" + json.dumps(inbound.location), {"location": inbound.location}
        if inbound.callback_data is not None:
            if not inbound.callback_data.startswith(TELEGRAM_OPTION_PREFIX):
                return inbound.callback_data, {}
            reply = inbound.callback_data.removeprefix(TELEGRAM_OPTION_PREFIX)
        elif inbound.text.split("@")[0].split(" ")[0] == "/start":
            return START_GREETING, {}
        else:
            return inbound.text, {}  # a typed "2" or option title is read by the conversation engine
        # An inline button press sends "option:N": the N-th option of the message it was under.
        chosen = await self.resolve_option(conversation_id, reply)
        if chosen is not None:
            return chosen["payload"], {"selected_option": chosen}
        return "", {}
