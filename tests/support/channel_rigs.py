"""Each messaging channel as a provider sees it: a valid message, its signature, and the connector.

Used by the inbound-door tests and the fuzz suite: the same signed request a provider would send,
to the same connector Rasa would load, with replies recorded in the outbox instead of sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from rasa.core.channels.channel import UserMessage

from bot.messaging.channels.meta import MetaCredentials
from bot.messaging.channels.outbox import OutboxSender
from bot.messaging.channels.telegram import TelegramCredentials
from bot.messaging.channels.twilio import TwilioCredentials
from bot.kernel.shop import Shop
from connectors._base import ChannelInput
from connectors.meta import InstagramInput, MessengerInput
from connectors.telegram import TelegramInput
from connectors.twilio import TwilioSmsInput, TwilioWhatsAppInput
from tests.support.signing import meta_request, telegram_request, twilio_request

TWILIO_TOKEN = "rig-twilio-token"
TWILIO_PUBLIC_URL = "https://shop.example.test"
META_SECRET = "rig-meta-app-secret"
TELEGRAM_SECRET = "rig-telegram-secret"
PHONE = "+447700900123"
PSID = "24680135791"
CHAT = 987654321


class AnsweringRasa:
    """Stands in for Rasa's on_new_message: records each message and answers it on its channel."""

    def __init__(self, reply: str = "ok") -> None:
        self.messages: list[UserMessage] = []
        self.reply = reply

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if not isinstance(message.text, str):
            raise TypeError(f"Rasa needs text, got {type(message.text).__name__}")  # what Rasa's NLU would do
        await message.output_channel.send_response(message.sender_id, {"text": self.reply})  # as Rasa does


@dataclass(frozen=True)
class ChannelRig:
    channel: str
    build: Callable[[Shop], ChannelInput]
    message: Callable[[str, int], Any]  # a valid inbound message with this text and a unique delivery number
    sign: Callable[[Any], tuple[bytes, dict[str, str]]]
    conversation_id: str

    @property
    def path(self) -> str:
        return f"/webhooks/{self.channel}/webhook"


def _twilio(cls: type, sender: str) -> ChannelRig:
    channel = cls.channel
    credentials = TwilioCredentials(auth_token=TWILIO_TOKEN, public_url=TWILIO_PUBLIC_URL)
    return ChannelRig(
        channel=channel,
        build=lambda shop: cls(credentials, shop=shop, sender=OutboxSender(shop, channel)),
        message=lambda text, n: {"MessageSid": f"SM{n:032d}", "From": sender, "To": "+441610000001", "Body": text, "NumMedia": "0"},
        sign=lambda params: twilio_request(TWILIO_TOKEN, f"{TWILIO_PUBLIC_URL}/webhooks/{channel}/webhook", params),
        conversation_id=f"{channel}:{PHONE}",
    )


def _meta(cls: type, webhook_object: str) -> ChannelRig:
    channel = cls.channel
    credentials = MetaCredentials(app_secret=META_SECRET, verify_token="rig-verify")

    def message(text: str, n: int) -> dict[str, Any]:
        event = {"sender": {"id": PSID}, "recipient": {"id": "PAGE"}, "timestamp": 1700000000000 + n, "message": {"mid": f"mid.{n}", "text": text}}
        return {"object": webhook_object, "entry": [{"id": "PAGE", "time": 1700000000000, "messaging": [event]}]}

    return ChannelRig(
        channel=channel,
        build=lambda shop: cls(credentials, shop=shop, sender=OutboxSender(shop, channel)),
        message=message,
        sign=lambda payload: meta_request(META_SECRET, payload),
        conversation_id=f"{channel}:{PSID}",
    )


def _telegram() -> ChannelRig:
    credentials = TelegramCredentials(bot_token="", secret_token=TELEGRAM_SECRET)

    def message(text: str, n: int) -> dict[str, Any]:
        return {
            "update_id": n,
            "message": {"message_id": n, "from": {"id": CHAT, "first_name": "Ada"}, "chat": {"id": CHAT, "type": "private"}, "date": 1700000000, "text": text},
        }

    return ChannelRig(
        channel="telegram",
        build=lambda shop: TelegramInput(credentials, shop=shop, sender=OutboxSender(shop, "telegram")),
        message=message,
        sign=lambda payload: telegram_request(TELEGRAM_SECRET, payload),
        conversation_id=f"telegram:{CHAT}",
    )


RIGS = {
    rig.channel: rig
    for rig in (
        _twilio(TwilioSmsInput, PHONE),
        _twilio(TwilioWhatsAppInput, f"whatsapp:{PHONE}"),
        _meta(MessengerInput, "page"),
        _meta(InstagramInput, "instagram"),
        _telegram(),
    )
}
