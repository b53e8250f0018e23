"""SMS and WhatsApp through Twilio's REST API, with the real `twilio` library.

The library's HTTP client blocks, so each call runs on a worker thread. `api_base` points the
client somewhere else (tests run a fake Twilio API on loopback).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.kernel.config import TWILIO_STATUS_PATH, Settings, load_settings
from bot.messaging.channels.base import RecordingSender
from bot.messaging.channels.types import TEMPLATE, ContentTemplate, OutboundText, ProviderError
from bot.messaging.channel_rules import OutboundPlan
from bot.kernel.shop import Shop

TWILIO_API_BASE = "https://api.twilio.com"
STATUS_CALLBACK_PATH = TWILIO_STATUS_PATH


@dataclass(frozen=True)
class TwilioCredentials:
    """Twilio settings, read from the environment (never from credentials.yml)."""

    account_sid: str = ""
    auth_token: str = ""
    sms_from: str = ""
    whatsapp_from: str = ""
    public_url: str = ""
    api_base: str = TWILIO_API_BASE
    whatsapp_template_sid: str = ""
    status_callback_url: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> "TwilioCredentials":
        """TWILIO_* / WHATSAPP_TEMPLATE_SID; the status callback defaults to SHOP_PUBLIC_URL + /twilio/status."""
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            sms_from=settings.twilio_sms_from,
            whatsapp_from=settings.twilio_whatsapp_from,
            public_url=settings.twilio_public_url.rstrip("/"),
            api_base=settings.twilio_api_base or TWILIO_API_BASE,
            whatsapp_template_sid=settings.whatsapp_template_sid,
            status_callback_url=settings.twilio_status_callback_url,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "TwilioCredentials":
        """The credentials in the environment (or in `environ`), read through Settings."""
        return cls.from_settings(load_settings(environ))

    def can_send(self, channel: str) -> bool:
        sender_number = self.whatsapp_from if channel == "whatsapp" else self.sms_from
        return bool(self.account_sid and self.auth_token and sender_number)


class _FormParams(dict):
    """Form fields as name -> list of values, in the shape RequestValidator reads (`getlist`)."""

    def getlist(self, name: str) -> list[str]:
        return list(self[name])


def verify_twilio_signature(auth_token: str, url: str, form: Mapping[str, Iterable[str]], signature: str) -> bool:
    """Checks X-Twilio-Signature: base64(HMAC-SHA1(token, url + sorted name+value pairs)).

    `form` must keep blank values (Twilio signs "Body" with an empty body too). `url` is the URL
    Twilio called — the public one when behind a proxy.
    """
    if not auth_token or not signature:
        return False
    params = _FormParams({name: list(values) for name, values in form.items()})
    return bool(RequestValidator(auth_token).validate(url, params, signature))


class TwilioSender(RecordingSender):
    """Sends SMS or WhatsApp messages via Twilio's Messages API."""

    def __init__(self, shop: Shop, channel: str, credentials: TwilioCredentials, client: Client | None = None) -> None:
        if channel not in {"sms", "whatsapp"}:
            raise ValueError(f"Twilio sends sms or whatsapp, not {channel}")
        super().__init__(shop, channel)
        self.credentials = credentials
        self._client = client

    @property
    def client(self) -> Client:
        if self._client is None:
            client = Client(self.credentials.account_sid, self.credentials.auth_token)
            client.api.base_url = self.credentials.api_base
            self._client = client
        return self._client

    def prepare(self, message: OutboundText) -> OutboundText:
        # A configured generic template ("{{1}}" style) lets alerts reach WhatsApp shoppers after 24 h.
        if self.channel == "whatsapp" and message.template is None and self.credentials.whatsapp_template_sid:
            return replace(message, template=ContentTemplate(self.credentials.whatsapp_template_sid, {"1": message.text}))
        return message

    def create_arguments(self, message: OutboundText, plan: OutboundPlan) -> dict[str, Any]:
        """The keyword arguments of `client.messages.create` for this message."""
        if self.channel == "whatsapp":
            arguments: dict[str, Any] = {"to": f"whatsapp:{message.recipient}", "from_": _whatsapp(self.credentials.whatsapp_from)}
        else:
            arguments = {"to": message.recipient, "from_": self.credentials.sms_from}
        if plan.mode == TEMPLATE and message.template is not None:
            arguments["content_sid"] = message.template.content_sid
            arguments["content_variables"] = json.dumps(message.template.variables)
        else:
            arguments["body"] = message.text
            if message.media_url:
                arguments["media_url"] = [message.media_url]
        if self.credentials.status_callback_url:
            arguments["status_callback"] = self.credentials.status_callback_url
        return arguments

    async def _transmit(self, message: OutboundText, plan: OutboundPlan) -> str | None:
        arguments = self.create_arguments(message, plan)
        try:
            created = await asyncio.to_thread(self.client.messages.create, **arguments)
        except TwilioRestException as error:
            transient = error.status >= 500 or error.status == 429
            raise ProviderError(f"Twilio {error.status} error {error.code}: {error.msg}", transient=transient) from error
        except requests.RequestException as error:
            raise ProviderError(f"Twilio unreachable: {type(error).__name__}", transient=True) from error
        return str(created.sid)


def _whatsapp(number: str) -> str:
    return number if number.startswith("whatsapp:") else f"whatsapp:{number}"
