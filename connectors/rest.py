"""Rasa's REST channel (``/webhooks/rest/webhook``) behind the same door as every other channel.

Rasa's built-in channel forwards whatever it is given: unmasked card numbers into the tracker, a
40 KB message that held the event loop for 9 s, any sender id (including another channel's
shopper, "sms:+44…", whose orders the actions would then read), a client-chosen input channel, and a
500 for a body that is not a JSON object. This subclass keeps its wire format (``{"sender",
"message", "metadata"}`` in, a JSON list of replies out, ``?stream=true``) and adds the door.

It still has no authentication: keep it off the public listener (deploy/nginx.conf answers 404).
"""

from __future__ import annotations

import logging
import re
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.kernel.inbound_text import TOO_LONG_REPLY, load_json_body, screen_inbound

logger = logging.getLogger(__name__)

CHANNEL = "rest"
FAILED_REPLY = "Sorry, something went wrong on my side and I couldn't answer that. Please try again in a moment."
MAX_SENDER_CHARS = 128
# Conversation ids of the other channels ("<channel>:<address>", "web-<uuid>") belong to them.
_FOREIGN_SENDER = re.compile(r"[:\s]|\Aweb-")


def _bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


class RestInput(RasaRestInput):
    """Rasa's REST channel with masking, a length cap and input checks; registered as ``rest``."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = load_json_body(request.body)
            except ValueError as error:
                return _bad_request(str(error))
            if not isinstance(body, dict):
                return _bad_request("expected a JSON object")
            sender, text, metadata = body.get("sender"), body.get("message"), body.get("metadata")
            if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER_CHARS or _FOREIGN_SENDER.search(sender):
                return _bad_request(f"sender must be 1 to {MAX_SENDER_CHARS} characters, no ':' or spaces, not web-…")
            if not isinstance(text, str):
                return _bad_request("message must be a string")
            if metadata is not None and not isinstance(metadata, dict):
                return _bad_request("metadata must be an object")
            screened = screen_inbound(text)
            if screened.too_long:
                return response.json([{"recipient_id": sender, "text": TOO_LONG_REPLY}])
            if bool_arg(request, "stream", default=False):
                stream = self.stream_response(on_new_message, screened.text, sender, CHANNEL, metadata)
                return response.stream(stream, content_type="text/event-stream")
            collector = CollectingOutputChannel()
            try:
                # The client does not choose the input channel: "rest" is what this is.
                await on_new_message(UserMessage(screened.text, collector, sender, input_channel=CHANNEL, metadata=metadata))
            except Exception:  # noqa: BLE001 - as Rasa's channel: answer with what was said so far
                logger.exception("REST turn for %s failed", sender)
                if not collector.messages:
                    return response.json([{"recipient_id": sender, "text": FAILED_REPLY}])
            return response.json(collector.messages)

        return webhook
