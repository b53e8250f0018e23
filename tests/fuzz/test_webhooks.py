"""Fuzzing every messaging webhook with validly signed bodies: no 5xx, no turn without a reply,
no card number left for the masker to find, and the server still answers afterwards.

Each connector is served for real on loopback with the blueprint Rasa would mount; Rasa itself is
stood in for by AnsweringRasa (it records the message and answers on the channel, as Rasa does).
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sanic import Sanic
from sqlalchemy import select

from bot.kernel.card_masking import mask_card_numbers
from bot.kernel.models import ChatMessage
from bot.kernel.shop import Shop
from connectors.rest import RestInput
from connectors.webchat import SECRET_HEADER, WebChatInput
from tests.fuzz.conftest import Probe, fuzz_settings
from tests.fuzz.strategies import form_fields, json_bodies, shaped, text
from tests.support.channel_rigs import CHAT, PSID, RIGS, TELEGRAM_SECRET, AnsweringRasa, ChannelRig
from tests.support.signing import meta_signature
from tests.support.threaded_server import ServerThread, serving_in_thread

META_APP_SECRET = "rig-meta-app-secret"
WEBCHAT_SECRET = "fuzz-webchat-secret"

TWILIO_TEMPLATE = {
    **RIGS["sms"].message("is the fleece in stock", 1),
    "Latitude": "53.48",
    "Longitude": "-2.24",
    "MediaUrl0": "https://api.twilio.com/media/1",
    "SmsMessageSid": "SM1",
}
META_EVENT = {
    "sender": {"id": PSID},
    "recipient": {"id": "PAGE"},
    "timestamp": 1700000000000,
    "message": {
        "mid": "mid.1",
        "text": "is the fleece in stock",
        "is_echo": False,
        "quick_reply": {"payload": "/affirm"},
        "attachments": [{"type": "location", "payload": {"coordinates": {"lat": 53.48, "long": -2.24}}}],
    },
    "postback": {"mid": "mid.2", "title": "Track order", "payload": "/track_order"},
}
TELEGRAM_TEMPLATE = {
    "update_id": 1,
    "message": {
        "message_id": 1,
        "from": {"id": CHAT, "first_name": "Ada"},
        "chat": {"id": CHAT, "type": "private"},
        "date": 1700000000,
        "text": "is the fleece in stock",
        "caption": "photo",
        "location": {"latitude": 53.48, "longitude": -2.24},
        "photo": [{"file_id": "f"}],
    },
    "callback_query": {"id": "cb1", "from": {"id": CHAT}, "message": {"message_id": 1, "chat": {"id": CHAT}}, "data": "option:1"},
}


def _serve(blueprint: Any, prefix: str) -> Any:
    app = Sanic(f"fuzz_{uuid.uuid4().hex[:10]}", configure_logging=False)
    app.config.ACCESS_LOG = False
    app.blueprint(blueprint, url_prefix=prefix)
    return serving_in_thread(app)


def _after_fuzzing(server: ServerThread, probe: Probe, shop: Shop, rasa: AnsweringRasa, errors: list[str], health: str) -> None:
    assert probe.client.get(health).status_code == 200  # still answering
    assert errors == []  # no turn died, no task crashed
    assert all(isinstance(message.text, str) for message in rasa.messages)
    with shop.uow() as uow:
        people = list(uow.session.scalars(select(ChatMessage.text).where(ChatMessage.author == "user")))
    # Whatever was stored or forwarded has been through the masker: nothing is left for it to find.
    assert [t for t in people + [str(m.text) for m in rasa.messages] if mask_card_numbers(t) != t] == []
    probe.check()


def _body_signer(channel: str) -> Callable[[bytes], dict[str, str]]:
    if channel == "telegram":
        return lambda body: {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    return lambda body: {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(META_APP_SECRET, body)}


@pytest.mark.parametrize("channel", ["messenger", "instagram", "telegram"])
def test_json_webhooks(fuzz_shop: Shop, errors_logged: Callable[[], list[str]], channel: str) -> None:
    rig: ChannelRig = RIGS[channel]
    connector, rasa = rig.build(fuzz_shop), AnsweringRasa()
    if channel == "telegram":
        template: Any = TELEGRAM_TEMPLATE
    else:
        template = {"object": "page" if channel == "messenger" else "instagram", "entry": [{"id": "PAGE", "time": 1, "messaging": [META_EVENT]}]}
    signed_headers = _body_signer(channel)
    with _serve(connector.blueprint(rasa), f"/webhooks/{channel}") as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        probe = Probe(client, f"POST {rig.path}")

        @fuzz_settings()
        @given(body=json_bodies(template))
        def send(body: bytes) -> None:
            probe.send("POST", rig.path, content=body, headers=signed_headers(body))

        send()
        server.run(connector.tasks.drain())
        _after_fuzzing(server, probe, fuzz_shop, rasa, errors_logged(), f"/webhooks/{channel}/")


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_twilio_webhooks(fuzz_shop: Shop, errors_logged: Callable[[], list[str]], channel: str) -> None:
    rig: ChannelRig = RIGS[channel]
    connector, rasa = rig.build(fuzz_shop), AnsweringRasa()
    template = {**TWILIO_TEMPLATE, "From": rig.message("", 1)["From"]}
    with _serve(connector.blueprint(rasa), f"/webhooks/{channel}") as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        probe = Probe(client, f"POST {rig.path}")

        @fuzz_settings()
        @given(fields=form_fields(template))
        def send(fields: dict[str, str]) -> None:
            body, headers = rig.sign(fields)
            probe.send("POST", rig.path, content=body, headers=headers)

        send()
        server.run(connector.tasks.drain())
        _after_fuzzing(server, probe, fuzz_shop, rasa, errors_logged(), f"/webhooks/{channel}/")


def test_rest_channel(fuzz_shop: Shop, errors_logged: Callable[[], list[str]]) -> None:
    rasa = AnsweringRasa()
    template = {"sender": "fuzz-1", "message": "is the fleece in stock", "metadata": {"k": "v"}, "input_channel": "rest"}
    with _serve(RestInput().blueprint(rasa), "/webhooks/rest") as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        probe = Probe(client, "POST /webhooks/rest/webhook")

        @fuzz_settings()
        @given(body=json_bodies(template), stream=st.booleans())
        def send(body: bytes, stream: bool) -> None:
            params = {"stream": "true"} if stream else None
            probe.send("POST", "/webhooks/rest/webhook", content=body, params=params, headers={"Content-Type": "application/json"})

        send()
        _after_fuzzing(server, probe, fuzz_shop, rasa, errors_logged(), "/webhooks/rest/")


def test_webchat_channel(fuzz_shop: Shop, errors_logged: Callable[[], list[str]]) -> None:
    """Rasa's side of the web chat (the bot server forwards lines here with the shared secret)."""
    rasa = AnsweringRasa()
    template = {"sender": "web-7f3c2a9e-0000-4000-8000-0123456789ab", "message": "is the fleece in stock", "metadata": {"k": "v"}}
    with _serve(WebChatInput(WEBCHAT_SECRET).blueprint(rasa), "/webhooks/webchat") as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        probe = Probe(client, "POST /webhooks/webchat/webhook")

        @fuzz_settings()
        @given(body=json_bodies(template), secret=st.sampled_from([WEBCHAT_SECRET, WEBCHAT_SECRET, WEBCHAT_SECRET, "wrong", ""]))
        def send(body: bytes, secret: str) -> None:
            probe.send("POST", "/webhooks/webchat/webhook", content=body, headers={"Content-Type": "application/json", SECRET_HEADER: secret})

        send()
        _after_fuzzing(server, probe, fuzz_shop, rasa, errors_logged(), "/webhooks/webchat/")


def test_strategies_reach_the_turn(fuzz_shop: Shop) -> None:
    """Guards the suite against fuzzing only the front door: shaped bodies often make a real turn."""
    sample = shaped(TELEGRAM_TEMPLATE)
    valid = 0

    @fuzz_settings(200)
    @given(update=sample, words=text())
    def count(update: dict, words: str) -> None:
        nonlocal valid
        message = update.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict) and message["chat"].get("id") == CHAT:
            valid += 1

    count()
    assert valid >= 40  # about a third of generated updates keep a usable message
