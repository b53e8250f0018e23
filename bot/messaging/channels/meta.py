"""Messenger and Instagram through Meta's Graph API Send API."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

from bot.messaging.channels._http import post_json
from bot.messaging.channels.base import RecordingSender
from bot.messaging.channels.types import TAGGED, OutboundText
from bot.messaging.channel_rules import OutboundPlan
from bot.kernel.shop import Shop

META_GRAPH_BASE = "https://graph.facebook.com/v18.0"


@dataclass(frozen=True)
class MetaCredentials:
    """Meta settings from the environment: one app secret and verify token, a page token per channel."""

    app_secret: str = ""
    verify_token: str = ""
    messenger_page_token: str = ""
    instagram_page_token: str = ""
    graph_base: str = META_GRAPH_BASE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "MetaCredentials":
        env = os.environ if environ is None else environ
        return cls(
            app_secret=env.get("META_APP_SECRET", ""),
            verify_token=env.get("META_VERIFY_TOKEN", ""),
            messenger_page_token=env.get("MESSENGER_PAGE_TOKEN", ""),
            instagram_page_token=env.get("INSTAGRAM_PAGE_TOKEN", ""),
            graph_base=(env.get("META_GRAPH_BASE", "") or META_GRAPH_BASE).rstrip("/"),
        )

    def page_token(self, channel: str) -> str:
        return self.instagram_page_token if channel == "instagram" else self.messenger_page_token


class MetaSender(RecordingSender):
    """Sends Messenger or Instagram messages; outside 24 h Messenger uses the message's tag, Instagram is refused."""

    def __init__(self, shop: Shop, channel: str, credentials: MetaCredentials) -> None:
        if channel not in {"messenger", "instagram"}:
            raise ValueError(f"Meta sends messenger or instagram, not {channel}")
        super().__init__(shop, channel)
        self.credentials = credentials

    def request_body(self, message: OutboundText, plan: OutboundPlan) -> dict[str, Any]:
        """The Send API JSON for this message."""
        body: dict[str, Any] = {"recipient": {"id": message.recipient}}
        if plan.mode == TAGGED and message.message_tag:
            body["messaging_type"] = "MESSAGE_TAG"
            body["tag"] = message.message_tag
        else:
            body["messaging_type"] = "RESPONSE"
        if message.media_url:
            content: dict[str, Any] = {
                "attachment": {"type": "image", "payload": {"url": message.media_url, "is_reusable": True}}
            }
        else:
            content = {"text": message.text}
            if message.quick_replies:
                content["quick_replies"] = list(message.quick_replies)
        body["message"] = content
        return body

    async def _transmit(self, message: OutboundText, plan: OutboundPlan) -> str | None:
        answer = await post_json(
            "Meta Graph API",
            f"{self.credentials.graph_base}/me/messages",
            self.request_body(message, plan),
            params={"access_token": self.credentials.page_token(self.channel)},
        )
        message_id = answer.get("message_id")
        return str(message_id) if message_id else None
