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

from bot.channels.meta import MetaCredentials
from bot.channels.types import OutboundText
from bot.services.identity import conversation_id_for
from bot.services.messaging import accept_inbound
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
    sender_id = str((event.get("sender") or {}).get("id") or "")
    message = event.get("message")
    postback = event.get("postback")
    if isinstance(message, dict):
        if message.get("is_echo") or not message.get("mid") or not sender_id:
            return None
        attachments = tuple(item for item in message.get("attachments") or () if isinstance(item, dict))
        quick_reply = message.get("quick_reply") or {}
        return MetaInbound(
            mid=str(message["mid"]),
            sender_id=sender_id,
            text=str(message.get("text") or "").strip(),
            payload=quick_reply.get("payload") if isinstance(quick_reply, dict) else None,
            location=_location(attachments),
            attachments=attachments,
        )
    if isinstance(postback, dict) and sender_id:
        # Postbacks carry a mid on current API versions; fall back to sender + timestamp.
        mid = postback.get("mid") or f"postback:{sender_id}:{event.get('timestamp')}"
        return MetaInbound(str(mid), sender_id, str(postback.get("title") or ""), postback.get("payload"), None, ())
    return None


def _location(attachments: tuple[dict[str, Any], ...]) -> dict[str, float] | None:
    for attachment in attachments:
        coordinates = ((attachment.get("payload") or {}).get("coordinates")) if attachment.get("type") == "location" else None
        if isinstance(coordinates, dict) and "lat" in coordinates and "long" in coordinates:
            try:
                return {"latitude": float(coordinates["lat"]), "longitude": float(coordinates["long"])}
            except (TypeError, ValueError):
                return None
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
            body = json.loads(request.body)
        except ValueError:
            return response.text("body is not JSON", status=400)
        if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
            return response.text("expected an object with an entry list", status=400)
        if body.get("object") != self.webhook_object:
            logger.warning("%s webhook got object %r; ignored", self.channel, body.get("object"))
            return response.text("EVENT_RECEIVED")
        for entry in body["entry"]:
            for event in (entry.get("messaging") or []) if isinstance(entry, dict) else []:
                inbound = parse_event(event) if isinstance(event, dict) else None
                if inbound is not None:
                    await self.process(inbound, on_new_message)
        return response.text("EVENT_RECEIVED")

    async def process(self, inbound: MetaInbound, on_new_message: OnNewMessage) -> None:
        """Records the event once and starts its dialogue turn in the background."""
        transcript_text = inbound.text or ("[shared a location]" if inbound.location else "[sent an attachment]")
        transcript_payload = {"location": inbound.location} if inbound.location else None
        accepted = await self.shop.call(
            accept_inbound, self.channel, inbound.mid, inbound.sender_id, transcript_text, transcript_payload
        )
        if accepted.duplicate:
            logger.info("%s delivery %s already handled", self.channel, inbound.mid)
            return
        conversation_id = conversation_id_for(self.channel, inbound.sender_id)
        metadata: dict[str, Any] = {"mid": inbound.mid}
        if inbound.payload:
            text = inbound.payload
        elif inbound.location:
            text = "/share_location" + json.dumps(inbound.location)
            metadata["location"] = inbound.location
        elif inbound.text:
            chosen = await self.resolve_option(conversation_id, inbound.text)
            text = chosen["payload"] if chosen else inbound.text
        elif inbound.attachments:
            await self.reply(conversation_id, inbound.sender_id, ATTACHMENT_ONLY_REPLY)
            return
        else:
            return
        self.start_turn(on_new_message, text, conversation_id, inbound.mid, metadata)


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
