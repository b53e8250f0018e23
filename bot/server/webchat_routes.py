"""The web chat page and its JSON/SSE API.

POST /chat/api/messages records the shopper's line and forwards it to Rasa; GET /chat/api/stream is a
Server-Sent Events stream of the transcript from a given id, so a reload replays the conversation and
a reconnect (EventSource sends Last-Event-ID) resumes exactly where it stopped.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.adapters.rasa_client import RasaUnavailable
from bot.domain.inbound_text import TOO_LONG_REPLY, screen_inbound
from bot.server.transcript_stream import after_id_of, stream_transcript
from bot.services.transcript import TranscriptLine, messages_after, record_message
from bot.services.web_lines import web_message_id
from connectors.webchat import CHANNEL, MAX_MESSAGE_CHARS, WEB_CONVERSATION_ID

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent / "web"
# EventSource reconnects by itself; closing now and then frees dead connections on proxies.
STREAM_MAX_SECONDS = 300.0
FORWARD_RETRY_SECONDS = (0.5, 2.0)  # waits before the second and third try
RASA_DOWN_REPLY = (
    "Sorry, I can't answer right now because part of our system is restarting. "
    "Please try again in a minute, or call us on {phone}."
)


async def forward_line(rasa: Any, conversation_id: str, text: str, message_id: str) -> None:
    """Forwards a shopper's line, again (same id) when the Rasa replica died under it.

    Behind nginx the next try reaches another replica, which finishes the turn: the side effects are
    keyed on the line's id and a turn already answered is not answered again (bot.services.turn_effects),
    so the shopper gets one outcome. Raises RasaUnavailable when every try failed.
    """
    for wait in (*FORWARD_RETRY_SECONDS, None):
        try:
            await rasa.forward_webchat(conversation_id, text, message_id=message_id)
            return
        except RasaUnavailable as error:
            if not error.retryable or wait is None:
                raise
            logger.warning("web chat line %s: Rasa went away (%s); forwarding it again", message_id, error)
            await asyncio.sleep(wait)


def _conversation_id(value: object) -> str | None:
    return value if isinstance(value, str) and WEB_CONVERSATION_ID.match(value) else None


def build_webchat_blueprint() -> Blueprint:
    chat = Blueprint("webchat")

    @chat.get("/chat")
    async def chat_page(_: Request) -> HTTPResponse:
        return await response.file(WEB_DIR / "chat.html", mime_type="text/html; charset=utf-8")

    @chat.post("/chat/api/messages")
    async def post_message(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        conversation_id = _conversation_id(body.get("conversation_id"))
        text = body.get("text")
        payload = body.get("payload")
        if conversation_id is None:
            return response.json({"error": "conversation_id must be a web conversation id"}, status=400)
        if not isinstance(text, str) or (payload is not None and not isinstance(payload, str)):
            return response.json({"error": "text (and payload, if sent) must be strings"}, status=400)
        ctx = request.app.ctx
        # The door (bot/domain/inbound_text.py): masked before it is stored or forwarded to Rasa.
        line, forwarded = screen_inbound(text), screen_inbound(payload or "")
        if line.too_long or forwarded.too_long:
            # The page caps its input at the same length; an API client gets the polite answer in the
            # conversation like any reply (so a 200: the page shows a non-2xx as "unavailable").
            await ctx.shop.call(record_message, conversation_id, CHANNEL, "bot", TOO_LONG_REPLY)
            await ctx.signals.publish(conversation_id)
            return response.json({"status": "too_long"})
        if not line.text.strip():
            return response.json({"error": f"text must be 1 to {MAX_MESSAGE_CHARS} characters"}, status=400)

        line_id = await ctx.shop.call(record_message, conversation_id, CHANNEL, "user", line.text.strip())
        await ctx.signals.publish(conversation_id)
        try:
            # A blank payload is no payload: forwarding it made Rasa refuse the line and the shopper
            # got a false "system is restarting" apology. The transcript row is the line's inbound id.
            await forward_line(ctx.rasa, conversation_id, forwarded.text.strip() or line.text.strip(), web_message_id(line_id))
        except RasaUnavailable:
            logger.exception("web chat message could not reach Rasa")
            apology = RASA_DOWN_REPLY.format(phone=ctx.shop.settings.support_phone)
            await ctx.shop.call(record_message, conversation_id, CHANNEL, "bot", apology)
            await ctx.signals.publish(conversation_id)
            return response.json({"status": "assistant_unavailable"}, status=503)
        await ctx.signals.publish(conversation_id)
        return response.json({"status": "delivered"})

    @chat.get("/chat/api/history")
    async def history(request: Request) -> HTTPResponse:
        conversation_id = _conversation_id(request.args.get("conversation_id"))
        if conversation_id is None:
            return response.json({"error": "conversation_id must be a web conversation id"}, status=400)
        lines = await request.app.ctx.shop.call(messages_after, conversation_id, after_id_of(request))
        return response.json({"messages": [line.as_json() for line in lines]})

    @chat.get("/chat/api/stream")
    async def stream(request: Request) -> HTTPResponse | None:
        conversation_id = _conversation_id(request.args.get("conversation_id"))
        if conversation_id is None:
            return response.json({"error": "conversation_id must be a web conversation id"}, status=400)
        await stream_transcript(request, conversation_id, render=TranscriptLine.as_json, max_seconds=STREAM_MAX_SECONDS)
        return None

    return chat
