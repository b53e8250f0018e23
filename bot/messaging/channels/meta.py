"""Messenger and Instagram through Meta's Graph API Send API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from bot.kernel.config import Settings, load_settings
from bot.messaging.channels._http import post_json
from bot.messaging.channels.base import RecordingSender
from bot.messaging.channels.types import TAGGED, OutboundText
from bot.messaging.channel_rules import OutboundPlan
from bot.kernel.shop import Shop

META_GRAPH_BASE = "https://graph.facebook.com/v18.0"


@dataclass(frozen=True)
class MetaCredentials:
    """Meta settings (Settings): one app secret and verify token, a page token per channel."""

    app_secret: str = ""
    verify_token: str = ""
    messenger_page_token: str = ""
    instagram_page_token: str = ""
    graph_base: str = META_GRAPH_BASE

    @classmethod
    def from_settings(cls, settings: Settings) -> "MetaCredentials":
        return cls(
            app_secret=settings.meta_app_secret,
            verify_token=settings.meta_verify_token,
            messenger_page_token=settings.messenger_page_token,
            instagram_page_token=settings.instagram_page_token,
            graph_base=(settings.meta_graph_base or META_GRAPH_BASE).rstrip("/"),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "MetaCredentials":
        """The credentials in the environment (or in `environ`), read through Settings."""
        return cls.from_settings(load_settings(environ))

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
