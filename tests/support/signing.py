"""Sign test requests exactly as Twilio, Meta and Telegram sign theirs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, Mapping
from urllib.parse import urlencode


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """X-Twilio-Signature: base64(HMAC-SHA1(token, url + each name+value, names sorted)).

    Written out independently of the twilio library so the connector's use of it is really tested.
    """
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_request(auth_token: str, url: str, params: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
    """(form body, headers) of a Twilio webhook POST to `url`."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(auth_token, url, params),
    }
    return urlencode(params).encode(), headers


def meta_signature(app_secret: str, body: bytes) -> str:
    """X-Hub-Signature-256: "sha256=" + hex(HMAC-SHA256(app secret, raw body))."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def meta_request(app_secret: str, payload: Any) -> tuple[bytes, dict[str, str]]:
    """(JSON body, headers) of a Meta webhook POST."""
    body = json.dumps(payload).encode()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(app_secret, body)}


def telegram_request(secret_token: str, update: Any) -> tuple[bytes, dict[str, str]]:
    """(JSON body, headers) of a Telegram webhook POST: the secret travels in a header, unsigned."""
    return json.dumps(update).encode(), {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": secret_token,
    }
