"""Server-Sent Events of a conversation's transcript, resumable by line id.

The transcript table is the truth; `ctx.signals` only makes delivery immediate, and the database is
re-read every poll, so a signal lost between processes costs a second, not a line. Used by the web
chat and the agent console.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from sanic.request import Request

from bot.messaging.transcript import TranscriptLine, messages_after

POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
MAX_LINE_ID = 2**63 - 1


def after_id_of(request: Request) -> int:
    """Where a client resumes: ?after=<id> or, on an EventSource reconnect, the Last-Event-ID header."""
    candidates = [request.args.get("after", "0"), request.headers.get("Last-Event-ID", "0")]
    # ASCII digits only ("²".isdigit() is true but int() refuses it), clamped to what a BIGINT id can
    # be: ?after=99999999999999999999 overflowed the database driver (a 500).
    return min(max((int(c) for c in candidates if c and c.isascii() and c.isdigit()), default=0), MAX_LINE_ID)


async def stream_transcript(
    request: Request,
    conversation_id: str,
    *,
    render: Callable[[TranscriptLine], dict[str, Any]],
    max_seconds: float,
) -> None:
    """Streams lines after the client's last id until the client leaves or `max_seconds` pass."""
    ctx = request.app.ctx
    last_id = after_id_of(request)
    stream = await request.respond(
        content_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    started = last_write = time.monotonic()
    await stream.send("retry: 1000\n\n")
    while not request.transport.is_closing() and time.monotonic() - started < max_seconds:
        for line in await ctx.shop.call(messages_after, conversation_id, last_id):
            await stream.send(f"id: {line.id}\ndata: {json.dumps(render(line))}\n\n")
            last_id = line.id
            last_write = time.monotonic()
        if time.monotonic() - last_write > KEEPALIVE_SECONDS:
            await stream.send(": keep-alive\n\n")
            last_write = time.monotonic()
        await ctx.signals.wait(conversation_id, POLL_SECONDS)
    await stream.eof()
