"""Delivery reports from Twilio: ``POST /twilio/status`` updates outbound_messages by MessageSid.

The request must carry a valid X-Twilio-Signature for the exact StatusCallback URL we gave Twilio
(TWILIO_STATUS_CALLBACK_URL, else SHOP_PUBLIC_URL + /twilio/status); anything else gets 403.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.messaging.channels.twilio import STATUS_CALLBACK_PATH, TwilioCredentials, verify_twilio_signature
from bot.messaging.channel_rules import apply_status_callback
from bot.kernel.shop import Shop

logger = logging.getLogger(__name__)


def build_messaging_blueprint(shop: Shop, credentials: TwilioCredentials | None = None) -> Blueprint:
    """The blueprint of messaging callbacks; mount it without a url_prefix (Twilio calls the URL we sent)."""
    twilio = credentials or TwilioCredentials.from_env()
    callback_url = twilio.status_callback_url or f"{shop.settings.public_base_url.rstrip('/')}{STATUS_CALLBACK_PATH}"
    blueprint = Blueprint("messaging_callbacks")

    @blueprint.post(STATUS_CALLBACK_PATH)
    async def twilio_status(request: Request) -> HTTPResponse:
        if not twilio.auth_token:
            logger.error("Twilio status callback rejected: TWILIO_AUTH_TOKEN is not set")
            return response.text("channel not configured", status=403)
        form = parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        if not verify_twilio_signature(twilio.auth_token, callback_url, form, request.headers.get("X-Twilio-Signature", "")):
            logger.warning("Twilio status callback rejected: bad X-Twilio-Signature")
            return response.text("invalid signature", status=403)
        message_sid = (form.get("MessageSid") or [""])[0]
        status = (form.get("MessageStatus") or form.get("SmsStatus") or [""])[0]
        if not message_sid or not status:
            return response.text("MessageSid and MessageStatus are required", status=400)
        error_code = (form.get("ErrorCode") or [""])[0] or None
        known = await shop.call(apply_status_callback, message_sid, status, error_code)
        if not known:
            logger.info("Twilio status for unknown message %s ignored", message_sid)
        return response.empty()

    return blueprint
