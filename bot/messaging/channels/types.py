"""Wire-neutral shapes shared by every channel sender and the messaging service.

Kept free of imports from the rest of `bot/` so both the senders and the service can use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

# Channels where free-form messages are allowed only within 24 h of the shopper's last message.
WINDOWED_CHANNELS = frozenset({"whatsapp", "messenger", "instagram"})


@dataclass(frozen=True)
class ContentTemplate:
    """An approved WhatsApp template (Twilio Content API), required outside the 24-hour window."""

    content_sid: str
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundText:
    """One message to one address on one channel, already rendered for that channel.

    Attributes:
        channel: sms | whatsapp | messenger | instagram | telegram.
        recipient: the channel's own address: E.164 phone (sms, whatsapp), PSID, IGSID, Telegram chat id.
        text: the body as the shopper will read it (numbered options already appended on SMS).
        conversation_id: the Rasa sender id this message belongs to, when there is one.
        media_url: an image to attach (WhatsApp, Meta, Telegram).
        quick_replies: Meta quick replies in Graph API form.
        reply_markup: Telegram reply markup (inline keyboard) in Bot API form.
        template: WhatsApp template used when the 24-hour window has closed.
        message_tag: Messenger tag used when the 24-hour window has closed (e.g. POST_PURCHASE_UPDATE).
        dedupe_key: a key that makes the send idempotent (the same key is sent at most once).
    """

    channel: str
    recipient: str
    text: str
    conversation_id: str | None = None
    media_url: str | None = None
    quick_replies: tuple[dict[str, Any], ...] = ()
    reply_markup: dict[str, Any] | None = None
    template: ContentTemplate | None = None
    message_tag: str | None = None
    dedupe_key: str | None = None

    def extras(self) -> dict[str, Any]:
        """Everything besides the body, as JSON, so a retry can rebuild the same message."""
        extras: dict[str, Any] = {}
        if self.media_url:
            extras["media_url"] = self.media_url
        if self.quick_replies:
            extras["quick_replies"] = list(self.quick_replies)
        if self.reply_markup:
            extras["reply_markup"] = self.reply_markup
        if self.template:
            extras["template"] = {"content_sid": self.template.content_sid, "variables": self.template.variables}
        if self.message_tag:
            extras["message_tag"] = self.message_tag
        return extras

    @classmethod
    def from_record(
        cls, channel: str, recipient: str, text: str, conversation_id: str | None, extras: dict[str, Any] | None
    ) -> "OutboundText":
        """Rebuilds a message from an outbound_messages row (the inverse of `extras`)."""
        extras = extras or {}
        template = extras.get("template")
        return cls(
            channel=channel,
            recipient=recipient,
            text=text,
            conversation_id=conversation_id,
            media_url=extras.get("media_url"),
            quick_replies=tuple(extras.get("quick_replies") or ()),
            reply_markup=extras.get("reply_markup"),
            template=ContentTemplate(template["content_sid"], dict(template.get("variables") or {})) if template else None,
            message_tag=extras.get("message_tag"),
        )


# Delivery modes decided before a message leaves: which form the provider call takes.
FREE_FORM = "free_form"
TEMPLATE = "template"
TAGGED = "tagged"


@dataclass(frozen=True)
class SendResult:
    """What happened to one send.

    status is one of: sent, outbox (no credentials; recorded only), opted_out (refused: the phone
    texted STOP), blocked_window (refused: 24-hour window closed and no template/tag allowed),
    retrying (transient provider failure; the sweeper will try again), failed, duplicate (dedupe_key
    already used).
    """

    status: str
    outbound_id: int | None = None
    provider_message_id: str | None = None
    reason: str = ""

    @property
    def delivered_to_provider(self) -> bool:
        return self.status == "sent"


class ChannelSender(Protocol):
    """Sends one message on one channel; every implementation goes through the messaging service."""

    channel: str

    async def send(self, message: OutboundText) -> SendResult:
        ...

    async def resend(self, outbound_id: int) -> SendResult:
        ...


class ProviderError(Exception):
    """A provider refused or failed a send. transient=True means trying again later may work."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient
