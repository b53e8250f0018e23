"""Messenger and Instagram via Meta webhooks, authenticated with X-Hub-Signature-256.

Webhooks: ``/webhooks/messenger/webhook`` and ``/webhooks/instagram/webhook`` (GET = subscription
handshake, POST = events). Sender ids: ``messenger:<PSID>`` and ``instagram:<IGSID>``. Every entry
and messaging event of a batch is handled; echoes, delivery and read receipts are ignored.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.messaging.channels.meta import MetaCredentials
from bot.messaging.channels.types import OutboundText
from bot.kernel.inbound_text import load_json_body
from bot.identity.customers import conversation_id_for
from bot.messaging.channel_rules import accept_inbound
from connectors._base import ATTACHMENT_ONLY_REPLY, ChannelInput, ChannelOutput, OnNewMessage
from connectors._rendering import (
    INSTAGRAM_MAX_CHARS,
    MESSENGER_MAX_CHARS,
    Option,
    fits_quick_replies,
    meta_quick_replies,
    numbered_text,
    split_message,
)
from connectors._signatures import secrets_equal, verify_meta_signature

logger = logging.getLogger(__name__)

# Meta's ids are tens of characters; longer ones would not fit the delivery and identity columns.
MAX_ID_CHARS = 100


@dataclass(frozen=True)
class MetaInbound:
    """One user message or postback from a webhook batch."""

    mid: str
    sender_id: str
    text: str
    payload: str | None
    location: dict[str, float] | None
    attachments: tuple[dict[str, Any], ...]


def parse_event(event: dict[str, Any]) -> MetaInbound | None:
    """The message in a messaging event, or None for echoes, receipts and other non-messages."""
    # Signed events can still be oddly shaped (a string where an object belongs): each field is read
    # only if it has the documented type, so a malformed event is skipped, never a 500 or a dead turn.
    sender_id = _scalar(_object(event.get("sender")).get("id"))
    message = event.get("message")
    postback = event.get("postback")
    if isinstance(message, dict):
        mid = _scalar(message.get("mid"))
        if message.get("is_echo") or not mid or not sender_id:
            return None
        listed = message.get("attachments")
        attachments = tuple(item for item in listed if isinstance(item, dict)) if isinstance(listed, list) else ()
        return MetaInbound(
            mid=mid,
            sender_id=sender_id,
            text=_text(message.get("text")),
            payload=_payload(_object(message.get("quick_reply")).get("payload")),
            location=_location(attachments),
            attachments=attachments,
        )
    if isinstance(postback, dict) and sender_id:
        # Postbacks carry a mid on current API versions; fall back to sender + timestamp.
        mid = _scalar(postback.get("mid")) or f"postback:{sender_id}:{_scalar(event.get('timestamp'))}"
        return MetaInbound(mid, sender_id, _text(postback.get("title")), _payload(postback.get("payload")), None, ())
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _scalar(value: Any) -> str:
    """An id as text: ids are strings (or numbers) that fit our id columns; anything else counts as missing."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return text if len(text) <= MAX_ID_CHARS else ""


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _payload(value: Any) -> str | None:
    """Button payloads are strings we set; anything else is ignored (it killed the turn before)."""
    return value if isinstance(value, str) and value else None


def _location(attachments: tuple[dict[str, Any], ...]) -> dict[str, float] | None:
    for attachment in attachments:
        coordinates = _object(_object(attachment.get("payload")).get("coordinates")) if attachment.get("type") == "location" else {}
        if "lat" in coordinates and "long" in coordinates:
            try:
                latitude, longitude = float(coordinates["lat"]), float(coordinates["long"])
            except (TypeError, ValueError):
                return None
            return {"latitude": latitude, "longitude": longitude} if abs(latitude) <= 90 and abs(longitude) <= 180 else None
    return None


class MetaOutputBase(ChannelOutput):
    """Replies through the Send API (or the outbox): quick replies for buttons, split long texts."""

    max_chars: ClassVar[int]

    def render(self, address: str, conversation_id: str, text: str, options: list[Option]) -> list[OutboundText]:
        if options and not fits_quick_replies(options):
            body, quick_replies = numbered_text(text, options), []  # more than Meta's 13: number them
        else:
            body, quick_replies = text, meta_quick_replies(options)
        parts = split_message(body, self.max_chars)
        return [
            # Quick replies belong on the last part, next to the question.
            OutboundText(self.channel, address, part, conversation_id, quick_replies=tuple(quick_replies) if index == len(parts) - 1 else ())
            for index, part in enumerate(parts)
        ]

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """{"text": ..., "message_tag": "POST_PURCHASE_UPDATE"} sends a tagged Messenger update (used outside 24 h)."""
        text = str(json_message.get("text") or "")
        if not text:
            logger.warning("%s custom payload without text ignored", self.channel)
            return
        await self.send_one(recipient_id, text, message_tag=json_message.get("message_tag"))


class MessengerOutput(MetaOutputBase):
    channel = "messenger"
    max_chars = MESSENGER_MAX_CHARS


class InstagramOutput(MetaOutputBase):
    channel = "instagram"
    max_chars = INSTAGRAM_MAX_CHARS


class MetaInputBase(ChannelInput):
    """Receives one Meta product's webhooks; subclasses fix the channel and the webhook `object`."""

    credentials_class = MetaCredentials
    credentials: MetaCredentials
    webhook_object: ClassVar[str]

    def add_routes(self, webhook: Blueprint) -> None:
        @webhook.route("/webhook", methods=["GET"])
        async def handshake(request: Request) -> HTTPResponse:
            return self.handle_handshake(request)

    def handle_handshake(self, request: Request) -> HTTPResponse:
        """Echoes hub.challenge when hub.mode=subscribe and hub.verify_token matches META_VERIFY_TOKEN."""
        if not self.credentials.verify_token:
            logger.error("%s handshake rejected: META_VERIFY_TOKEN is not set", self.channel)
            return response.text("channel not configured", status=403)
        mode = request.args.get("hub.mode")
        if mode != "subscribe" or not secrets_equal(self.credentials.verify_token, request.args.get("hub.verify_token")):
            return response.text("verification failed", status=403)
        return response.text(request.args.get("hub.challenge", ""))

    async def handle_webhook(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        if not self.credentials.app_secret:
            logger.error("%s webhook rejected: META_APP_SECRET is not set", self.channel)
            return response.text("channel not configured", status=403)
        if not verify_meta_signature(self.credentials.app_secret, request.body, request.headers.get("X-Hub-Signature-256")):
            logger.warning("%s webhook rejected: bad X-Hub-Signature-256", self.channel)
            return response.text("invalid signature", status=403)
        try:
            body = load_json_body(request.body)
        except ValueError as error:
            return response.text(f"malformed body: {error}", status=400)
        if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
            return response.text("expected an object with an entry list", status=400)
        if body.get("object") != self.webhook_object:
            logger.warning("%s webhook got object %r; ignored", self.channel, body.get("object"))
            return response.text("EVENT_RECEIVED")
        for entry in body["entry"]:
            events = entry.get("messaging") if isinstance(entry, dict) else None
            for event in events if isinstance(events, list) else []:
                inbound = parse_event(event) if isinstance(event, dict) else None
                if inbound is not None:
                    await self.process(inbound, on_new_message)
        return response.text("EVENT_RECEIVED")

    async def process(self, inbound: MetaInbound, on_new_message: OnNewMessage) -> None:
        """Records the event once and starts its dialogue turn in the background."""
        transcript_text = inbound.text or ("[shared a location]" if inbound.location else "[sent an attachment]")
        transcript_payload = {"location": inbound.location} if inbound.location else None
        location_text = "/share_location" + json.dumps(inbound.location) if inbound.location else None
        accepted = await self.shop.call(
            accept_inbound, self.channel, inbound.mid, inbound.sender_id, transcript_text, transcript_payload,
            turn_text=inbound.payload or location_text,
        )
        if accepted.duplicate:
            logger.info("%s delivery %s already handled", self.channel, inbound.mid)
            return
        conversation_id = conversation_id_for(self.channel, inbound.sender_id)
        metadata: dict[str, Any] = {"mid": inbound.mid}
        if inbound.payload:
            text = inbound.payload
        elif location_text:
            text = location_text
            metadata["location"] = inbound.location
        elif inbound.text:
            text = inbound.text  # a typed "2" or option title is read by the conversation engine
        elif inbound.attachments:
            await self.reply(conversation_id, inbound.sender_id, ATTACHMENT_ONLY_REPLY)
            return
        else:
            await self.no_turn(conversation_id, inbound.mid)
            return
        await self.start_turn(on_new_message, text, conversation_id, inbound.mid, metadata)


class MessengerInput(MetaInputBase):
    """Facebook Messenger; webhook /webhooks/messenger/webhook."""

    channel = "messenger"
    webhook_object = "page"
    output_class = MessengerOutput


class InstagramInput(MetaInputBase):
    """Instagram messaging; webhook /webhooks/instagram/webhook."""

    channel = "instagram"
    webhook_object = "instagram"
    output_class = InstagramOutput
