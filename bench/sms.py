"""The SMS webhook path of the load generator: signed Twilio webhooks in, replies caught by a fake Twilio API.

A turn is sent as Twilio sends it (form POST to /webhooks/sms/webhook, `X-Twilio-Signature` computed by the
real `twilio` library's RequestValidator); the webhook is answered at once and the assistant replies
through Twilio's REST API, which the stack under test was pointed at (TWILIO_API_BASE): the fake Twilio API
of tests/support, listening on a port fixed before the stack started, inside this load-generator process.

A turn's latency is the time from sending the webhook until its first reply reaches the fake Twilio API:
what a shopper waits for on SMS. Before the next turn of the same conversation, the load generator waits
(untimed) until Rasa's tracker shows the turn finished, so a turn's later replies are never taken for the
next turn's answer.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from twilio.request_validator import RequestValidator

from tests.support.fake_twilio import FakeTwilio, RecordedMessage

# What the assistant says when a turn failed (connectors/_turns.py): a reply, but not an answer.
APOLOGY_START = "Sorry, something went wrong on my side"
TURN_END_POLL_SECONDS = 0.02


class SmsTurnFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class SmsSettings:
    """What the stack under test was started with (TWILIO_* variables) and where its Rasa API is."""

    twilio_port: int
    account_sid: str
    auth_token: str
    shop_number: str
    rasa_url: str  # a Rasa server's HTTP API (any replica: trackers are shared), for the end of a turn
    rasa_token: str

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "SmsSettings":
        return cls(int(spec["twilio_port"]), str(spec["account_sid"]), str(spec["auth_token"]), str(spec["shop_number"]),
                   str(spec["rasa_url"]).rstrip("/"), str(spec["rasa_token"]))



def fake_account(twilio_port: int) -> dict[str, object]:
    """A made-up Twilio account whose API is the fake on `twilio_port` (SmsSettings fields but Rasa's)."""
    return {"twilio_port": twilio_port, "account_sid": "AC" + uuid.uuid4().hex, "auth_token": uuid.uuid4().hex,
            "shop_number": "+441610000001"}


def stack_environment(account: dict[str, object]) -> dict[str, str]:
    """The TWILIO_* variables that make a stack send its SMS replies to the fake Twilio API of `account`."""
    return {"TWILIO_ACCOUNT_SID": str(account["account_sid"]), "TWILIO_AUTH_TOKEN": str(account["auth_token"]),
            "TWILIO_SMS_FROM": str(account["shop_number"]), "TWILIO_API_BASE": f"http://127.0.0.1:{account['twilio_port']}"}


def new_phone() -> str:
    """A fresh, valid UK mobile number (+4474...): one SMS conversation per number."""
    return "+4474" + "".join(random.choice("0123456789") for _ in range(8))


@dataclass
class SmsLink:
    """The fake Twilio API in this process, and the replies it caught, per shopper's phone."""

    settings: SmsSettings
    _loop: asyncio.AbstractEventLoop | None = None
    _arrivals: dict[str, asyncio.Queue[tuple[float, str]]] = field(default_factory=dict)
    _fake: FakeTwilio | None = None
    validator: RequestValidator | None = None

    def start(self) -> "SmsLink":
        self._loop = asyncio.get_running_loop()
        self.validator = RequestValidator(self.settings.auth_token)
        self._fake = FakeTwilio(auth_token=self.settings.auth_token, port=self.settings.twilio_port,
                                on_message=self._caught).start()
        return self

    def stop(self) -> None:
        if self._fake is not None:
            self._fake.stop()

    def _caught(self, message: RecordedMessage) -> None:  # on the fake's server thread
        arrived = time.perf_counter()
        phone, body = message.field("To") or "", message.field("Body") or ""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._deliver, phone, arrived, body)

    def _deliver(self, phone: str, arrived: float, body: str) -> None:
        queue = self._arrivals.get(phone)
        if queue is not None:  # replies to conversations of an earlier run (another process) are ignored
            queue.put_nowait((arrived, body))

    def open(self, phone: str) -> None:
        self._arrivals[phone] = asyncio.Queue()

    def close(self, phone: str) -> None:
        self._arrivals.pop(phone, None)

    async def send(self, http: aiohttp.ClientSession, url: str, phone: str, text: str, timeout: float) -> tuple[float, str, str]:
        """Posts one signed webhook; returns (seconds until the first reply arrived, the message's sid, the reply)."""
        if phone not in self._arrivals:
            self.open(phone)
        queue = self._arrivals[phone]
        while not queue.empty():  # a finished turn's replies were all in before the turn ended
            queue.get_nowait()
        sid = "SM" + uuid.uuid4().hex
        webhook = f"{url}/webhooks/sms/webhook"
        params = {"MessageSid": sid, "AccountSid": self.settings.account_sid, "From": phone,
                  "To": self.settings.shop_number, "Body": text, "NumMedia": "0"}
        assert self.validator is not None
        headers = {"X-Twilio-Signature": self.validator.compute_signature(webhook, params)}
        started = time.perf_counter()
        async with http.post(webhook, data=params, headers=headers) as reply:
            answer = await reply.text()
        if reply.status != 200 or "<Response" not in answer:
            raise SmsTurnFailed(f"webhook HTTP {reply.status}: {answer[:200]}")
        try:
            arrived, body = await asyncio.wait_for(queue.get(), timeout)
        except asyncio.TimeoutError:
            raise SmsTurnFailed(f"no SMS reply within {timeout:.0f} s") from None
        if body.startswith(APOLOGY_START):
            raise SmsTurnFailed("the assistant apologised: the turn failed")
        return arrived - started, sid, body

    async def wait_turn_end(self, http: aiohttp.ClientSession, phone: str, sid: str, timeout: float) -> None:
        """Waits until Rasa's tracker shows the turn of `sid` finished (listening again)."""
        url = f"{self.settings.rasa_url}/conversations/sms:{phone}/tracker"
        params = {"token": self.settings.rasa_token, "include_events": "NONE"}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with http.get(url, params=params) as reply:
                tracker = await reply.json(content_type=None) if reply.status == 200 else {}
            latest = tracker.get("latest_message") or {}
            if latest.get("message_id") == sid and tracker.get("latest_action_name") == "action_listen":
                return
            await asyncio.sleep(TURN_END_POLL_SECONDS)
        raise SmsTurnFailed(f"the turn of {sid} did not finish within {timeout:.0f} s")
