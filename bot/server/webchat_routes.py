"""The web chat page and its JSON/SSE API.

POST /chat/api/messages records the shopper's line and forwards it to Rasa; GET /chat/api/stream is a
Server-Sent Events stream of the transcript from a given id, so a reload replays the conversation and
a reconnect (EventSource sends Last-Event-ID) resumes exactly where it stopped.
"""

from __future__ import annotations

import json
import logging
import re
from html import escape
from pathlib import Path

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.kernel.config import Settings
from bot.adapters.rasa_client import RasaUnavailable
from bot.handoff.support_hours import DEFAULT_SUPPORT_TIMEZONE
from bot.kernel.inbound_text import MAX_INBOUND_CHARS, TOO_LONG_REPLY, screen_inbound
from bot.server.page_texts import chat_page_texts, page_language
from bot.server.site_style import on_colour
from bot.server.transcript_stream import after_id_of, stream_transcript
from bot.kernel.money import format_money
from bot.ordering.pay_links import pay_link_in_conversation
from bot.messaging.transcript import TranscriptLine, messages_after, record_message, record_shopper_line_once
from bot.messaging.web_lines import WEB_CHANNEL, WEB_CONVERSATION_ID, web_message_id
from bot.orchestration.web_forwarding import RASA_DOWN_REPLY, forward_line

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent / "web"
# EventSource reconnects by itself; closing now and then frees dead connections on proxies.
STREAM_MAX_SECONDS = 300.0
CLIENT_ID = re.compile(r"\A[A-Za-z0-9-]{1,64}\Z")


def support_timezone(settings: Settings) -> str:
    """The zone times are shown in: the one people answering chats work in (SUPPORT_TIMEZONE)."""
    return settings.support_timezone or DEFAULT_SUPPORT_TIMEZONE


def _filled(path: Path, **values: str) -> str:
    """The file with each {{name}} replaced by its value, HTML-escaped (the values come from settings)."""
    text = path.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", escape(value, quote=True))
    return text


def language_of(request: Request) -> str:
    """The chat page's first language: ?lang= or the browser's; the page then follows the conversation's."""
    return page_language(asked=request.args.get("lang"), accept_language=request.headers.get("accept-language"))


def chat_page_values(request: Request, settings: Settings) -> dict[str, str]:
    """chat.html's {{…}} values: the texts in the page's language, and every language's texts for chat.js."""
    language, retailer = language_of(request), settings.retailer_name
    every = chat_page_texts()
    shown = {key: text.replace("{retailer}", retailer) for key, text in every[language].items()}
    return {
        **shown, "language": language, "retailer": retailer, "timezone": support_timezone(settings),
        "texts": json.dumps(every, ensure_ascii=False, separators=(",", ":")),
    }


def _conversation_id(value: object) -> str | None:
    return value if isinstance(value, str) and WEB_CONVERSATION_ID.match(value) else None


def build_webchat_blueprint() -> Blueprint:
    chat = Blueprint("webchat")

    @chat.get("/chat")
    async def chat_page(request: Request) -> HTTPResponse:
        # ?embed=1 is the same page inside the widget's frame (a close button instead of the page title).
        settings = request.app.ctx.shop.settings
        page = _filled(WEB_DIR / "chat.html", **chat_page_values(request, settings))
        return response.html(
            page.replace('data-embed="0"', 'data-embed="1"') if request.args.get("embed") == "1" else page,
            headers={"Content-Language": language_of(request), "Vary": "Accept-Language"},
        )

    @chat.get("/widget.js")
    async def widget(request: Request) -> HTTPResponse:
        # Loaded by retailers' own pages: it names this server as the chat's origin by where it came from.
        settings = request.app.ctx.shop.settings
        values = {"retailer": settings.retailer_name, "primary": settings.brand_primary, "on_primary": on_colour(settings.brand_primary)}
        script = (WEB_DIR / "static" / "widget.js").read_text(encoding="utf-8")
        for name, value in values.items():  # JavaScript string literals; "<" escaped so "</script>" cannot appear
            script = script.replace("{{" + name + "}}", json.dumps(value).replace("<", "\\u003c"))
        return response.text(
            script, content_type="text/javascript; charset=utf-8", headers={"Cache-Control": "max-age=300"}
        )

    @chat.post("/chat/api/messages")
    async def post_message(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        conversation_id = _conversation_id(body.get("conversation_id"))
        text = body.get("text")
        payload = body.get("payload")
        client_id = body.get("client_id")
        if client_id is not None and not (isinstance(client_id, str) and CLIENT_ID.match(client_id)):
            return response.json({"error": "client_id must be 1 to 64 letters, digits or dashes"}, status=400)
        if conversation_id is None:
            return response.json({"error": "conversation_id must be a web conversation id"}, status=400)
        if not isinstance(text, str) or (payload is not None and not isinstance(payload, str)):
            return response.json({"error": "text (and payload, if sent) must be strings"}, status=400)
        ctx = request.app.ctx
        # The door (bot/kernel/inbound_text.py): masked before it is stored or forwarded to Rasa.
        line, forwarded = screen_inbound(text), screen_inbound(payload or "")
        if line.too_long or forwarded.too_long:
            # The page caps its input at the same length; an API client gets the polite answer in the
            # conversation like any reply (so a 200: the page shows a non-2xx as "unavailable").
            await ctx.shop.call(record_message, conversation_id, WEB_CHANNEL, "bot", TOO_LONG_REPLY)
            await ctx.signals.publish(conversation_id)
            return response.json({"status": "too_long"})
        if not line.text.strip():
            return response.json({"error": f"text must be 1 to {MAX_INBOUND_CHARS} characters"}, status=400)

        # The page's own id for the line comes back on it in the stream: its "sending" bubble becomes "sent".
        line_id, new = await ctx.shop.call(record_shopper_line_once, conversation_id, WEB_CHANNEL, line.text.strip(), client_id)
        if not new:  # a resend of a line that arrived (the page lost our answer): answered once already
            return response.json({"status": "duplicate", "id": line_id})
        await ctx.signals.publish(conversation_id)
        try:
            # A blank payload is no payload: forwarding it made Rasa refuse the line and the shopper
            # got a false "system is restarting" apology. The transcript row is the line's inbound id.
            await forward_line(ctx.rasa, conversation_id, forwarded.text.strip() or line.text.strip(), web_message_id(line_id))
        except RasaUnavailable as error:
            if error.timed_out or error.reached:
                # Rasa took the line: still on it (a slow turn under load), it replies or apologises by
                # itself (connectors/_turns.py); or the replica died under it, part of the turn may be done,
                # and a sweeper hands the line (same id) to a replica that is up after 20 s: a finished turn
                # is not run again, an unfinished one is finished once, and after 3 minutes without any
                # replica the shopper gets the apology (bot/messaging/web_lines.py). An apology here was a
                # second outcome beside the turn's reply, and a shopper resending after it had the line
                # done twice (both seen in the chaos run through nginx).
                logger.warning("web chat line %s: left to its turn or a sweeper (%s)", line_id, error)
                return response.json({"status": "pending", "id": line_id}, status=202)
            logger.exception("web chat message could not reach Rasa")
            apology = RASA_DOWN_REPLY.format(phone=ctx.shop.settings.support_phone)
            await ctx.shop.call(record_message, conversation_id, WEB_CHANNEL, "bot", apology)
            await ctx.signals.publish(conversation_id)
            return response.json({"status": "assistant_unavailable", "id": line_id}, status=503)
        await ctx.signals.publish(conversation_id)
        return response.json({"status": "delivered", "id": line_id})

    @chat.get("/chat/api/history")
    async def history(request: Request) -> HTTPResponse:
        conversation_id = _conversation_id(request.args.get("conversation_id"))
        if conversation_id is None:
            return response.json({"error": "conversation_id must be a web conversation id"}, status=400)
        lines = await request.app.ctx.shop.call(messages_after, conversation_id, after_id_of(request))
        return response.json({"messages": [line.as_json() for line in lines]})

    @chat.get("/chat/api/pay-link")
    async def pay_link(request: Request) -> HTTPResponse:
        """What the page needs to draw a pay link as a card; only for links sent in this conversation."""
        conversation_id = _conversation_id(request.args.get("conversation_id"))
        url = request.args.get("url")
        if conversation_id is None or not url or len(url) > 2000:
            return response.json({"error": "conversation_id and url are required"}, status=400)
        page = await request.app.ctx.shop.call(pay_link_in_conversation, conversation_id, url)
        if page is None:
            return response.json({"error": "no such pay link in this conversation"}, status=404)
        return response.json(
            {
                "reference": page.order.reference,
                "amount": format_money(page.link.amount_minor, page.link.currency, page.locale),
                "amount_minor": page.link.amount_minor,
                "currency": page.link.currency,
                "pay_by": page.pay_by.isoformat(),
                "state": page.reason,
            },
            headers={"Cache-Control": "no-store"},
        )

    @chat.get("/chat/api/stream")
    async def stream(request: Request) -> HTTPResponse | None:
        conversation_id = _conversation_id(request.args.get("conversation_id"))
        if conversation_id is None:
            return response.json({"error": "conversation_id must be a web conversation id"}, status=400)
        await stream_transcript(request, conversation_id, render=TranscriptLine.as_json, max_seconds=STREAM_MAX_SECONDS)
        return None

    return chat
