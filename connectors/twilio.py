"""SMS and WhatsApp via Twilio, authenticated (X-Twilio-Signature), deduplicated and opt-out aware.

Webhooks: ``/webhooks/sms/webhook`` and ``/webhooks/whatsapp/webhook``. Sender ids (conversation
ids) are ``sms:+447700900123`` and ``whatsapp:+447700900123``. Each webhook is answered at once with
empty TwiML; the dialogue turn runs in the background and replies go out through the REST API.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.messaging.channels.twilio import TwilioCredentials
from bot.messaging.channels.types import ContentTemplate, OutboundText
from bot.identity.customers import InvalidPhoneNumber, conversation_id_for, normalize_phone
from bot.messaging.channel_rules import accept_inbound, classify_keyword, is_opted_out, opt_in, opt_out
from connectors._base import ATTACHMENT_ONLY_REPLY, ChannelInput, ChannelOutput, OnNewMessage
from connectors._rendering import Option, numbered_text, split_message
from connectors._signatures import verify_twilio_signature

logger = logging.getLogger(__name__)

MAX_MEDIA = 10
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MEDIA_ONLY_REPLY = ATTACHMENT_ONLY_REPLY
OPTED_IN_REPLY = "You're subscribed again. Reply STOP at any time to stop messages."


def empty_twiml() -> HTTPResponse:
    return response.text(EMPTY_TWIML, content_type="text/xml")


@dataclass(frozen=True)
class TwilioInbound:
    """What a verified Twilio webhook carries that the assistant needs."""

    message_sid: str
    phone: str
    body: str
    media_urls: tuple[str, ...]
    location: dict[str, float] | None

    def transcript(self) -> tuple[str, dict[str, Any] | None]:
        """The transcript line for this message: its text, or a note of the location/media shared."""
        if self.location:
            return self.body or "[shared a location]", {"location": self.location}
        if self.media_urls:
            return self.body or f"[sent {len(self.media_urls)} attachment(s)]", {"media": list(self.media_urls)}
        return self.body, None


class TwilioOutputBase(ChannelOutput):
    """Replies through Twilio (or the outbox): numbered options, split at 1,600 characters."""

    def render(self, address: str, conversation_id: str, text: str, options: list[Option]) -> list[OutboundText]:
        parts = split_message(numbered_text(text, options))
        return [OutboundText(self.channel, address, part, conversation_id) for part in parts]

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        if self.channel == "whatsapp":
            await super().send_image_url(recipient_id, image)
        else:
            await self.send_one(recipient_id, image)  # UK SMS has no MMS: send the link

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """Custom payloads: {"text": ...} and, on WhatsApp, {"template": {"content_sid", "variables"}, "text": ...}.

        The template is only used when the 24-hour window has closed; inside it the text goes out.
        """
        text = str(json_message.get("text") or "")
        template = json_message.get("template")
        content = None
        if self.channel == "whatsapp" and isinstance(template, dict) and template.get("content_sid"):
            variables = {str(key): str(value) for key, value in (template.get("variables") or {}).items()}
            content = ContentTemplate(str(template["content_sid"]), variables)
        if not text and content is None:
            logger.warning("%s custom payload without text or template ignored", self.channel)
            return
        await self.send_one(recipient_id, text, template=content)


class SmsOutput(TwilioOutputBase):
    channel = "sms"


class WhatsAppOutput(TwilioOutputBase):
    channel = "whatsapp"


class TwilioInputBase(ChannelInput):
    """Receives one Twilio channel's webhooks; subclasses fix the channel name."""

    credentials_class = TwilioCredentials
    credentials: TwilioCredentials

    def signed_url(self, request: Request) -> str:
        """The URL Twilio signed: TWILIO_PUBLIC_URL + path behind a proxy, else the URL as received."""
        if not self.credentials.public_url:
            return request.url
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{self.credentials.public_url}{request.path}{query}"

    async def handle_webhook(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        if not self.credentials.auth_token:
            logger.error("%s webhook rejected: TWILIO_AUTH_TOKEN is not set", self.channel)
            return response.text("channel not configured", status=403)
        # Parse the raw body ourselves, keeping blank values: Twilio signs "Body" even when empty.
        form = parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        signature = request.headers.get("X-Twilio-Signature", "")
        if not verify_twilio_signature(self.credentials.auth_token, self.signed_url(request), form, signature):
            logger.warning("%s webhook rejected: bad X-Twilio-Signature", self.channel)
            return response.text("invalid signature", status=403)
        try:
            inbound = self.parse(form)
        except ValueError as error:
            logger.warning("%s webhook malformed: %s", self.channel, error)
            return response.text(str(error), status=400)
        await self.process(inbound, on_new_message)
        return empty_twiml()

    def parse(self, form: dict[str, list[str]]) -> TwilioInbound:
        """Reads the fields of a signed webhook.

        Raises:
            ValueError: MessageSid or From missing, From not a phone number, bad coordinates.
        """
        fields = {name: values[0] for name, values in form.items() if values}
        if any("\x00" in value for value in fields.values()):
            raise ValueError("fields must not contain NUL")  # no database stores it; no phone sends it
        message_sid = fields.get("MessageSid") or fields.get("SmsMessageSid")
        sender = fields.get("From", "")
        if not message_sid or not sender:
            raise ValueError("MessageSid and From are required")
        try:
            phone = normalize_phone(sender.removeprefix("whatsapp:"))
        except InvalidPhoneNumber as error:
            raise ValueError(str(error)) from error
        # Twilio sends at most 10 media; NumMedia=99999999999999999999 looped forever (the probe's fuzz).
        media_count = min(_whole_number(fields.get("NumMedia", "0")), MAX_MEDIA)
        media_urls = tuple(fields[f"MediaUrl{index}"] for index in range(media_count) if fields.get(f"MediaUrl{index}"))
        location = None
        if fields.get("Latitude") and fields.get("Longitude"):
            try:
                location = {"latitude": float(fields["Latitude"]), "longitude": float(fields["Longitude"])}
            except ValueError as error:
                raise ValueError("Latitude/Longitude are not numbers") from error
            if not (abs(location["latitude"]) <= 90 and abs(location["longitude"]) <= 180):
                raise ValueError("Latitude/Longitude are not on the globe")
        return TwilioInbound(message_sid, phone, fields.get("Body", "").strip(), media_urls, location)

    async def process(self, inbound: TwilioInbound, on_new_message: OnNewMessage) -> None:
        """Records the message once, handles carrier keywords, and starts the dialogue turn in the background."""
        transcript_text, transcript_payload = inbound.transcript()
        location_text = "/share_location" + json.dumps(inbound.location) if inbound.location else None
        accepted = await self.shop.call(
            accept_inbound, self.channel, inbound.message_sid, inbound.phone, transcript_text, transcript_payload,
            turn_text=location_text,
        )
        if accepted.duplicate:
            logger.info("%s delivery %s already handled", self.channel, inbound.message_sid)
            return
        conversation_id = conversation_id_for(self.channel, inbound.phone)
        if await self._handled_keyword(inbound, conversation_id):
            await self.no_turn(conversation_id, inbound.message_sid)
            return
        metadata: dict[str, Any] = {"message_sid": inbound.message_sid}
        if location_text:
            text = location_text
            metadata["location"] = inbound.location
        elif inbound.body:
            text = inbound.body  # a typed "2" or option title is read by the conversation engine, as on every channel
        elif inbound.media_urls:
            await self.reply(conversation_id, inbound.phone, MEDIA_ONLY_REPLY)
            return
        else:
            await self.no_turn(conversation_id, inbound.message_sid)
            return  # an empty message: nothing to answer
        await self.start_turn(on_new_message, text, conversation_id, inbound.message_sid, metadata)

    async def _handled_keyword(self, inbound: TwilioInbound, conversation_id: str) -> bool:
        """STOP-family words opt out, START-family opt back in, HELP/INFO get the help text."""
        keyword = classify_keyword(inbound.body)
        if keyword == "opt_out":
            # The carrier/Twilio sends the confirmation; any message from us would be refused now anyway.
            await self.shop.call(opt_out, inbound.phone, inbound.body)
            return True
        if keyword == "opt_in":
            if not await self.shop.call(is_opted_out, inbound.phone):
                return False  # "yes" from a subscribed shopper is an answer for the assistant
            await self.shop.call(opt_in, inbound.phone)
            if self.channel == "whatsapp":  # SMS carriers confirm START themselves
                await self.reply(conversation_id, inbound.phone, OPTED_IN_REPLY)
            return True
        if keyword == "help":
            settings = self.shop.settings
            help_text = (
                f"{settings.retailer_name}: I can check stock, reserve items and track orders. "
                f"To reach a person call {settings.support_phone}. Reply STOP to stop messages."
            )
            await self.reply(conversation_id, inbound.phone, help_text)
            return True
        return False


class TwilioSmsInput(TwilioInputBase):
    """SMS through Twilio; webhook /webhooks/sms/webhook."""

    channel = "sms"
    output_class = SmsOutput


class TwilioWhatsAppInput(TwilioInputBase):
    """WhatsApp through Twilio; webhook /webhooks/whatsapp/webhook."""

    channel = "whatsapp"
    output_class = WhatsAppOutput


def _whole_number(raw: str) -> int:
    try:
        return max(int(raw), 0)
    except ValueError:
        return 0
