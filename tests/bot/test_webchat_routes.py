"""The bot server's web chat API: the inbound door (masking, length cap) and the probe's malformed inputs."""

from __future__ import annotations

import uuid
from typing import AsyncIterator

import httpx
import pytest
from sanic import Sanic

from bot.adapters.rasa_client import RasaUnavailable
from bot.kernel.inbound_text import MAX_INBOUND_CHARS, TOO_LONG_REPLY
from bot.server.app import create_app
from bot.messaging.transcript import messages_after
from bot.kernel.shop import Shop
from tests.support.rasa_standin import RecordingRasa
from tests.support.sanic_server import serving

WEB = "web-7f3c2a9e-0000-4000-8000-0123456789ab"


class Chat:
    def __init__(self, shop: Shop, base: str, rasa: RecordingRasa) -> None:
        self.shop, self.rasa = shop, rasa
        self.http = httpx.AsyncClient(base_url=base, timeout=30)

    async def say(self, text: object, **extra: object) -> httpx.Response:
        return await self.http.post("/chat/api/messages", json={"conversation_id": WEB, "text": text, **extra})

    def transcript(self) -> list[tuple[str, str]]:
        return [(line.author, line.text) for line in self.shop.run(messages_after, WEB)]


@pytest.fixture
async def chat(shop: Shop) -> AsyncIterator[Chat]:
    rasa = RecordingRasa()
    app = create_app(shop, name=f"webchat_test_{uuid.uuid4().hex[:8]}", run_sweeper=False)

    @app.after_server_start
    async def use_recording_rasa(app: Sanic, _loop: object) -> None:
        await app.ctx.rasa.close()
        app.ctx.rasa = rasa

    async with serving(app) as base_url:
        chat = Chat(shop, base_url, rasa)
        yield chat
        await chat.http.aclose()


async def test_card_numbers_are_masked_before_the_transcript_and_rasa(chat: Chat) -> None:
    reply = await chat.say("pay with 4242.4242.4242.4242 please")
    assert reply.status_code == 200
    assert chat.transcript() == [("user", "pay with ****.****.****.4242 please")]
    assert chat.rasa.forwarded == [(WEB, "pay with ****.****.****.4242 please")]


async def test_an_over_long_line_is_answered_politely_and_not_forwarded(chat: Chat) -> None:
    reply = await chat.say("x" * (MAX_INBOUND_CHARS + 1))
    assert (reply.status_code, reply.json()) == (200, {"status": "too_long"})
    assert chat.transcript() == [("bot", TOO_LONG_REPLY)] and chat.rasa.forwarded == []


async def test_a_blank_payload_is_no_payload(chat: Chat) -> None:
    # It was forwarded, refused by Rasa, and answered 503 with a false "system is restarting".
    reply = await chat.say("hello", payload="   ")
    assert reply.status_code == 200
    assert chat.rasa.forwarded == [(WEB, "hello")] and chat.transcript() == [("user", "hello")]


async def test_lone_surrogates_are_dropped_and_a_line_of_nothing_else_is_400(chat: Chat) -> None:
    only = await chat.http.post(
        "/chat/api/messages", content=b'{"conversation_id": "%s", "text": "\\ud800"}' % WEB.encode(), headers={"Content-Type": "application/json"}
    )
    mixed = await chat.http.post(
        "/chat/api/messages", content=b'{"conversation_id": "%s", "text": "hi\\udfff"}' % WEB.encode(), headers={"Content-Type": "application/json"}
    )
    assert (only.status_code, mixed.status_code) == (400, 200)
    assert chat.transcript() == [("user", "hi")]


@pytest.mark.parametrize("conversation_id", [WEB + "\n", " " + WEB, WEB.upper(), "web-1"])
async def test_only_exact_web_conversation_ids_are_accepted(chat: Chat, conversation_id: str) -> None:
    reply = await chat.http.post("/chat/api/messages", json={"conversation_id": conversation_id, "text": "hi"})
    history = await chat.http.get("/chat/api/history", params={"conversation_id": conversation_id})
    assert (reply.status_code, history.status_code) == (400, 400) and chat.rasa.forwarded == []


@pytest.mark.parametrize("after", ["99999999999999999999", "²", "-1", "1e5", "18446744073709551616"])
async def test_history_takes_any_resume_point(chat: Chat, after: str) -> None:
    await chat.say("hello")
    reply = await chat.http.get("/chat/api/history", params={"conversation_id": WEB, "after": after})
    assert reply.status_code == 200
    expected = 0 if after.isascii() and after.isdigit() else 1  # a number past every id: nothing newer
    assert len(reply.json()["messages"]) == expected


async def test_the_stream_starts_from_a_huge_resume_point(chat: Chat) -> None:
    params = {"conversation_id": WEB, "after": "99999999999999999999"}
    async with chat.http.stream("GET", "/chat/api/stream", params=params, headers={"Last-Event-ID": "99999999999999999999"}) as stream:
        assert stream.status_code == 200
        first = await stream.aiter_text().__anext__()
    assert first.startswith("retry:")


async def test_the_pages_own_id_comes_back_on_the_line_and_bad_ones_are_refused(chat: Chat) -> None:
    reply = await chat.say("is the fleece in stock", client_id="3b0c6f1e-9d2a-4c1b-8f00-aa11bb22cc33")
    assert reply.status_code == 200 and isinstance(reply.json()["id"], int)
    history = (await chat.http.get("/chat/api/history", params={"conversation_id": WEB})).json()["messages"]
    line_id = reply.json()["id"]
    # The inbound id goes with the line if its turn moves it (bot.services.transcript.sequence_shopper_line).
    assert history[-1]["payload"] == {"client_id": "3b0c6f1e-9d2a-4c1b-8f00-aa11bb22cc33", "inbound_id": f"webline-{line_id}"}
    assert history[-1]["id"] == line_id
    for bad in ("", "x" * 65, "<script>", 7, ["a"]):
        refused = await chat.say("hello", client_id=bad)
        assert refused.status_code == 400, bad
    assert len(chat.transcript()) == 1


async def test_a_pay_link_is_described_only_to_its_own_conversation(chat: Chat) -> None:
    missing = await chat.http.get("/chat/api/pay-link", params={"conversation_id": WEB, "url": "http://x/pay/cs_sandbox_0"})
    assert missing.status_code == 404
    for params in ({"conversation_id": WEB}, {"url": "http://x/pay/1"}, {"conversation_id": "web-1", "url": "http://x/pay/1"}):
        assert (await chat.http.get("/chat/api/pay-link", params=params)).status_code == 400


async def test_the_chat_page_names_the_retailer_and_the_widget_carries_the_brand(chat: Chat) -> None:
    page = await chat.http.get("/chat")
    assert "<title>Chat with Fellside Outfitters</title>" in page.text and 'data-embed="0"' in page.text
    assert 'data-embed="1"' in (await chat.http.get("/chat", params={"embed": "1"})).text
    widget = await chat.http.get("/widget.js")
    assert widget.headers["content-type"].startswith("text/javascript")
    assert f'var PRIMARY = "{chat.shop.settings.brand_primary}"' in widget.text and "{{" not in widget.text
    sheet = await chat.http.get("/site.css")
    assert sheet.headers["content-type"].startswith("text/css") and "--brand-primary:" in sheet.text
    assert (await chat.http.get("/site.css", headers={"If-None-Match": sheet.headers["etag"]})).status_code == 304
    icon = await chat.http.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"


class DyingRasa(RecordingRasa):
    """The Rasa replica dies under the first `dies` forwards (connection dropped), then answers."""

    def __init__(self, dies: int, retryable: bool = True) -> None:
        super().__init__()
        self.dies, self.retryable = dies, retryable
        self.ids: list[str | None] = []

    async def forward_webchat(self, conversation_id, text, metadata=None, message_id=None):  # type: ignore[no-untyped-def]
        self.ids.append(message_id)
        if self.dies:
            self.dies -= 1
            raise RasaUnavailable("Rasa did not answer /webhooks/webchat/webhook: Server disconnected", retryable=self.retryable)
        await super().forward_webchat(conversation_id, text, metadata, message_id)


@pytest.mark.parametrize("dies, retryable, outcome", [(1, True, "delivered"), (2, True, "delivered"), (3, True, "unavailable"), (1, False, "unavailable")])
async def test_a_line_whose_rasa_died_is_forwarded_again_with_the_same_id(chat: Chat, dies: int, retryable: bool, outcome: str) -> None:
    rasa = DyingRasa(dies, retryable)
    chat.rasa.forward_webchat = rasa.forward_webchat  # type: ignore[method-assign]
    reply = await chat.say("reserve 2 of those")
    [(author, _text)] = chat.transcript()[:1]
    line_id = chat.shop.run(messages_after, WEB)[0].id
    assert author == "user"
    tries = min(dies + 1, 3) if retryable else 1
    assert rasa.ids == [f"webline-{line_id}"] * tries  # the same inbound id each time: its side effects happen once
    if outcome == "delivered":
        assert (reply.status_code, reply.json()) == (200, {"status": "delivered", "id": line_id})
        assert rasa.forwarded == [(WEB, "reserve 2 of those")]
    else:
        assert reply.status_code == 503 and chat.transcript()[-1][0] == "bot"  # the apology


async def test_a_resent_line_is_recorded_and_answered_once(chat: Chat) -> None:
    # The page lost the answer to its first request and sends the line again with the same id.
    first = await chat.say("is the fleece in stock", client_id="resend-0001")
    again = await chat.say("is the fleece in stock", client_id="resend-0001")
    assert again.status_code == 200 and again.json() == {"status": "duplicate", "id": first.json()["id"]}
    assert chat.transcript() == [("user", "is the fleece in stock")]
    assert chat.rasa.forwarded == [(WEB, "is the fleece in stock")]
    # Another line with another id is a new line.
    await chat.say("is the fleece in stock", client_id="resend-0002")
    assert len(chat.transcript()) == 2


async def test_a_line_whose_turn_outlasts_the_wait_gets_no_apology_beside_its_turns_reply(chat: Chat) -> None:
    # Rasa took the line but a slow turn (one replica under load) outlasted the bot server's wait: the turn
    # replies (or apologises) by itself. A "restarting" apology here as well was a second outcome (seen in
    # the chaos run: apology, then the reply), and the shopper resending after it had the line done twice.
    async def slow(conversation_id, text, metadata=None, message_id=None):  # type: ignore[no-untyped-def]
        raise RasaUnavailable("Rasa did not answer /webhooks/webchat/webhook: ", timed_out=True)

    chat.rasa.forward_webchat = slow  # type: ignore[method-assign]
    reply = await chat.say("reserve 2 of those")
    line_id = chat.shop.run(messages_after, WEB)[0].id
    assert (reply.status_code, reply.json()) == (202, {"status": "pending", "id": line_id})
    assert chat.transcript() == [("user", "reserve 2 of those")]  # no apology: the turn's reply comes


async def test_a_line_whose_replica_died_under_it_is_left_to_a_sweeper_not_apologised_for(chat: Chat) -> None:
    # The first forward reached a replica that died mid-turn (its add may be saved, its reply written);
    # the next two found no replica (nginx: "no live upstreams"). Apologising here gave a second outcome
    # beside the turn's reply, and the shopper's resend added the boots twice (the chaos run through nginx).
    # The sweeper hands the line, same id, to a replica that is up (tests/bot/test_web_lines.py).
    errors = [RasaUnavailable("Rasa answered 502", retryable=True, reached=True), RasaUnavailable("refused", retryable=True)] + [
        RasaUnavailable("refused", retryable=True)
    ]

    async def dying(conversation_id, text, metadata=None, message_id=None):  # type: ignore[no-untyped-def]
        raise errors.pop(0)

    chat.rasa.forward_webchat = dying  # type: ignore[method-assign]
    reply = await chat.say("reserve 2 of those")
    line_id = chat.shop.run(messages_after, WEB)[0].id
    assert not errors  # tried three times
    assert (reply.status_code, reply.json()) == (202, {"status": "pending", "id": line_id})
    assert chat.transcript() == [("user", "reserve 2 of those")]
