"""Talking to the Rasa server over HTTP: forward web chat lines, push external events into a conversation."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.kernel.config import Settings

logger = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """The Rasa server did not answer (down, restarting, or failing).

    Attributes:
        retryable: the request cannot have been handled (no connection, the connection dropped with
            the server, or a proxy said no upstream answered): sending it again is safe and may reach
            another replica. False for refusals (4xx) and timeouts (the turn may still be running).
        timed_out: no answer in time: the turn may still be running, and will reply or apologise itself.
        reached: the request may have reached a replica that then died under it (the connection dropped
            after sending, or a proxy answered 502/504): its turn may have run, in part or to the end.
    """

    def __init__(self, message: str, retryable: bool = False, timed_out: bool = False, reached: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.timed_out = timed_out
        self.reached = reached


class RasaClient:
    def __init__(self, settings: Settings, timeout_seconds: float = 30.0) -> None:
        self._base = settings.rasa_url.rstrip("/")
        self._token = settings.rasa_token
        self._webchat_secret = settings.webchat_secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # Drop idle connections before Rasa's server (Sanic, 5 s keep-alive) closes its end, so a
            # forwarded message never goes out on a connection that is being closed.
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, connector=aiohttp.TCPConnector(keepalive_timeout=2.0)
            )
        return self._session

    async def forward_webchat(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None, message_id: str | None = None
    ) -> None:
        """Hands a shopper's line to Rasa's web chat channel and waits until the replies are recorded.

        Args:
            message_id: the line's inbound id; the same line forwarded again carries the same id, so its
                side effects are not done twice (bot.messaging.turn_effects).
        """
        body: dict[str, Any] = {"sender": conversation_id, "message": text, "metadata": metadata or {}}
        if message_id:
            body["message_id"] = message_id
        headers = {"X-Webchat-Secret": self._webchat_secret}
        await self._post("/webhooks/webchat/webhook", body, headers=headers)

    async def redrive_line(self, line_id: int) -> dict[str, Any]:
        """Hands a shopper's line whose turn was lost in a crash (any channel) to Rasa again, from its transcript row.

        Rasa runs its turn under the line's own inbound id, unless that turn finished meanwhile, and
        answers on the line's channel; this waits until the turn is done.
        """
        headers = {"X-Webchat-Secret": self._webchat_secret}
        return await self._post("/webhooks/webchat/redrive", {"line_id": line_id}, headers=headers)

    async def trigger_intent(
        self,
        conversation_id: str,
        intent: str,
        entities: dict[str, Any] | None = None,
        output_channel: str = "latest",
    ) -> dict[str, Any]:
        """Injects an external event (EXTERNAL_… intent) so the conversation knows and replies on its channel."""
        path = f"/conversations/{conversation_id}/trigger_intent"
        params = {"output_channel": output_channel, "token": self._token}
        return await self._post(path, {"name": intent, "entities": entities or {}}, params=params)

    async def pause_conversation(self, conversation_id: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Pauses the assistant in a conversation (Rasa keeps logging the shopper's messages, predicts nothing).

        `metadata` rides on the pause event (and so reaches the event stream): the funnel's handoff tag.
        """
        return await self._append_events(conversation_id, [{"event": "pause", **({"metadata": metadata} if metadata else {})}])

    async def resume_conversation(self, conversation_id: str) -> dict[str, Any]:
        """Resumes the assistant; it answers the shopper's next message with the context it had."""
        # The trailing action_listen makes the next user turn look like any other to the rules.
        return await self._append_events(conversation_id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}])

    async def _append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        path = f"/conversations/{quote(conversation_id, safe=':+')}/tracker/events"
        return await self._post(path, events, params={"token": self._token})

    async def _post(
        self,
        path: str,
        body: dict[str, Any] | list[dict[str, Any]],
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            async with self._http().post(self._base + path, json=body, headers=headers, params=params) as reply:
                if reply.status >= 400:
                    detail = (await reply.text())[:300]
                    raise RasaUnavailable(
                        f"Rasa answered {reply.status} to {path}: {detail}",
                        retryable=reply.status in (502, 503, 504), reached=reply.status in (502, 504),
                    )
                return await reply.json(content_type=None) or {}
        # asyncio.TimeoutError, not the built-in TimeoutError: on Python 3.10 they are different
        # classes, and aiohttp's timeout raised past the built-in one (a slow Rasa gave a 500).
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            retryable = isinstance(error, aiohttp.ClientConnectionError) and not isinstance(error, aiohttp.ServerTimeoutError)
            timed_out = isinstance(error, (asyncio.TimeoutError, aiohttp.ServerTimeoutError))
            reached = timed_out or (retryable and not isinstance(error, aiohttp.ClientConnectorError))  # not a refusal
            raise RasaUnavailable(f"Rasa did not answer {path}: {error}", retryable=retryable, timed_out=timed_out, reached=reached) from error

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
