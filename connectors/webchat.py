"""The web chat channel on the Rasa side.

The browser never talks to Rasa directly: the bot server records the shopper's line, then forwards
it here with a shared secret. Every reply (and every later push through trigger_intent) is written
to the transcript table, from which the bot server streams it to the page. So replies survive a
closed tab, a reload or a dropped connection, and any bot server replica can deliver them.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from typing import Any, Awaitable, Callable, Iterable

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.lock_store import LockError
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.kernel.config import load_settings
from bot.kernel.inbound_text import MAX_INBOUND_CHARS, screen_inbound
from bot.messaging.web_lines import WEB_CHANNEL, WEB_CONVERSATION_ID, turn_text_of
from bot.messaging.transcript import inbound_id_of, record_message, record_messages, transcript_line
from bot.messaging.turn_effects import finish_turn
from bot.kernel.shop import process_shop
from connectors._turns import CountsReplies, run_in_handling_order

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Webchat-Secret"
_TURNS: set[asyncio.Future[None]] = set()
INBOUND_ID = re.compile(r"\A[A-Za-z0-9_.:-]{1,100}\Z")


class WebChatOutput(CountsReplies):
    """Writes the assistant's messages into the conversation's transcript.

    A shopper's turn uses a buffered output: its replies are written in one transaction when the turn
    ends (`flush`), instead of one write per reply competing for SQLite's write lock. Pushes that arrive
    through Rasa's trigger_intent use an unbuffered one and are written at once.
    """

    def __init__(self, buffered: bool = False) -> None:
        self._pending: list[tuple[str, str, dict[str, Any] | None]] | None = [] if buffered else None
        self._attached: dict[str, Any] | None = None  # the custom part last drawn with its text

    @classmethod
    def name(cls) -> str:
        return WEB_CHANNEL

    async def _record(self, recipient_id: str, text: str, payload: dict[str, Any] | None = None) -> None:
        if self._pending is not None:
            self._pending.append((recipient_id, text, payload))
            return
        await process_shop().call(record_message, recipient_id, WEB_CHANNEL, "bot", text, payload)

    async def finish(self, shop: Any, turn_key: str | None) -> None:
        await self.flush(turn_key)

    async def flush(self, finished: str | None = None) -> None:
        """Writes the buffered replies, in order, in one transaction.

        Args:
            finished: the turn's key (bot.messaging.turn_effects): recorded with the replies, so the same
                line forwarded again is known to be answered already.
        """
        lines, self._pending = self._pending or [], []
        if finished is not None:
            await process_shop().call(finish_turn, WEB_CHANNEL, lines, finished)
        elif lines:
            await process_shop().call(record_messages, WEB_CHANNEL, "bot", lines)

    def _attach(self, payload: dict[str, Any], custom: Any) -> dict[str, Any]:
        """The message's "custom" part drawn with its text: product cards, and the conversation's language (the
        page's own words follow it). Rasa hands the same part to send_custom_json next, which then skips it."""
        if not isinstance(custom, dict):
            return payload
        cards = {key: value for key, value in custom.items() if key != "language"}
        if cards.get("products"):
            payload["custom"] = cards
        if isinstance(custom.get("language"), str):
            payload["language"] = custom["language"]
        if cards.get("products") or payload.get("language"):
            self._attached = custom
        return payload

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        payload = self._attach({}, kwargs.get("custom"))
        for part in text.strip().split("\n\n"):
            await self._record(recipient_id, part, dict(payload) or None)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        choices = [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons]
        payload: dict[str, Any] = {"buttons": choices}
        await self._record(recipient_id, text, self._attach(payload, kwargs.get("custom")))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._record(recipient_id, "", {"image": image})

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        await self._record(recipient_id, str(attachment), {"attachment": attachment})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        if json_message is self._attached:
            self._attached = None
            return
        text = str(json_message.get("text", "")) if isinstance(json_message, dict) else ""
        await self._record(recipient_id, text, {"custom": json_message})

    async def send_elements(self, recipient_id: str, elements: Iterable[Any], **kwargs: Any) -> None:
        await self._record(recipient_id, "", {"elements": list(elements)})


async def _run_to_the_end(
    request: Request,
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: UserMessage,
    message_id: str | None,
    output: CountsReplies,
    handed_back: bool = False,
) -> HTTPResponse:
    turn = run_in_handling_order(process_shop(), request.app, on_new_message, message, message_id, output, handed_back=handed_back)
    task = asyncio.ensure_future(turn)
    # Shielded: when the bot server that forwarded the line dies, Sanic cancels this handler, but
    # the turn runs to the end and its replies reach the transcript, which the shopper's page
    # streams from any bot server. Cancelled half-way, the action's changes stayed and the reply
    # was lost. The set keeps a strong reference while the turn outlives its request.
    _TURNS.add(task)
    task.add_done_callback(_turn_done)
    try:
        if not await asyncio.shield(task):
            return response.json({"status": "processed", "repeat": True})  # answered before its forwarder died
    except LockError as error:  # only a handed-back line gets here: the sweeper offers it again later
        logger.warning("%s: %s", message_id, error)
        return response.json({"error": "the conversation is busy or its lock store unreachable"}, status=503)
    return response.json({"status": "processed"})


def _turn_done(task: "asyncio.Future[bool]") -> None:
    _TURNS.discard(task)
    if not task.cancelled() and task.exception() is not None and not isinstance(task.exception(), LockError):
        logger.error("turn failed after its request was gone", exc_info=task.exception())
    # A LockError here is a handed-back line whose sweeper stopped waiting: it offers the line again.


def _output_for(request: Request, channel: str) -> CountsReplies | None:
    """A fresh output channel for a conversation's channel, as Rasa's trigger_intent finds one."""
    if channel == WEB_CHANNEL:
        return WebChatOutput(buffered=True)
    for input_channel in getattr(request.app.ctx, "input_channels", None) or ():
        if input_channel.name() == channel:
            output = input_channel.get_output_channel()
            return output if isinstance(output, CountsReplies) else None
    return None


class WebChatInput(InputChannel):
    """Receives shopper lines forwarded by the bot server (authenticated by WEBCHAT_SECRET)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    @classmethod
    def name(cls) -> str:
        return WEB_CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "WebChatInput":
        return cls(secret=load_settings().webchat_secret)

    def get_output_channel(self) -> OutputChannel:
        return WebChatOutput()

    def _authorised(self, request: Request) -> bool:
        if not self.secret:
            logger.error("web chat rejects every message: WEBCHAT_SECRET is not set")
            return False
        offered = request.headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(offered.encode(), self.secret.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("webchat_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "forbidden"}, status=403)
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not WEB_CONVERSATION_ID.match(sender):
                return response.json({"error": "sender must be a web conversation id"}, status=400)
            screened = screen_inbound(text) if isinstance(text, str) else None
            if screened is None or screened.too_long or not screened.text.strip():
                return response.json({"error": f"message must be 1 to {MAX_INBOUND_CHARS} characters"}, status=400)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            # The line's inbound id (its transcript row): forwarded again, it keys the same side effects.
            message_id = body.get("message_id")
            message_id = message_id if isinstance(message_id, str) and INBOUND_ID.match(message_id) else None
            output = WebChatOutput(buffered=True)
            # The bot server masked the line already; screening again costs little and keeps this
            # channel's door shut on its own (it is reachable by anyone holding the secret).
            message = UserMessage(screened.text, output, sender, input_channel=WEB_CHANNEL, metadata=metadata, message_id=message_id)
            return await _run_to_the_end(request, on_new_message, message, message_id, output)

        @webhook.route("/redrive", methods=["POST"])
        async def redrive(request: Request) -> HTTPResponse:
            """A line of any channel whose turn was lost in a crash, handed back by a sweeper (bot/messaging/web_lines.py).

            Only the transcript row's id comes in: the text, conversation, channel and inbound id are read
            from the row, so the secret's holder can re-run a shopper's own line, nothing else.
            """
            if not self._authorised(request):
                return response.json({"error": "forbidden"}, status=403)
            body = request.json if isinstance(request.json, dict) else {}
            line_id = body.get("line_id")
            if not isinstance(line_id, int):
                return response.json({"error": "line_id must be a transcript row id"}, status=400)
            line = await process_shop().call(transcript_line, line_id)
            if line is None:  # moved to where its turn began: that turn has it (or had it)
                return response.json({"status": "processed", "repeat": True})
            if line.author != "user":
                return response.json({"error": "line_id must be a shopper's line"}, status=404)
            output = _output_for(request, line.channel)
            if output is None:
                return response.json({"error": f"no channel {line.channel!r} here"}, status=400)
            message_id = inbound_id_of(line.id, line.payload)
            text = screen_inbound(turn_text_of(line.text, line.payload)).text
            message = UserMessage(text, output, line.conversation_id, input_channel=line.channel, message_id=message_id, metadata={"redriven": True})
            return await _run_to_the_end(request, on_new_message, message, message_id, output, handed_back=True)

        return webhook
