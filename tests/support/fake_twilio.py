"""A fake Twilio REST API on loopback: a real HTTP server in a thread, answering like Twilio.

Point the real `twilio` library at it (`TWILIO_API_BASE=fake.base_url`, or
`TwilioCredentials(api_base=fake.base_url)`); it records every Messages.json POST (form fields,
Basic auth user) and answers 201 with a Message resource, or with a queued failure.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs

_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-fA-F]+|[^/]+)/Messages\.json$")


@dataclass
class RecordedMessage:
    account_sid: str
    auth_user: str
    form: dict[str, list[str]]
    sid: str

    def field(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None


@dataclass
class FakeTwilio:
    """Start with `start()`, stop with `stop()` (or use as a context manager)."""

    auth_token: str = "fake-auth-token"
    messages: list[RecordedMessage] = field(default_factory=list)
    failures: list[tuple[int, int, str]] = field(default_factory=list)  # (HTTP status, Twilio code, message)
    port: int = 0  # 0: any free port; the bench fixes one, since the stack under test is told it before it starts
    # Called on the server's thread with each recorded message as it arrives (the bench times replies by it).
    on_message: Callable[[RecordedMessage], None] | None = None
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "FakeTwilio not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, status: int, code: int, message: str) -> None:
        """The next POST gets this error, as Twilio words errors (JSON with code/message/status)."""
        self.failures.append((status, code, message))

    def start(self) -> "FakeTwilio":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                fake._handle(self)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "FakeTwilio":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        match = _MESSAGES_PATH.match(request.path)
        if match is None:
            self._reply(request, 404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
            return
        user, password = _basic_auth(request.headers.get("Authorization", ""))
        if user != match["sid"] or password != self.auth_token:
            self._reply(request, 401, {"code": 20003, "message": "Authenticate", "status": 401})
            return
        length = int(request.headers.get("Content-Length", "0"))
        form = parse_qs(request.rfile.read(length).decode(), keep_blank_values=True)
        with self._lock:
            failure = self.failures.pop(0) if self.failures else None
            if failure:
                status, code, message = failure
                self._reply(request, status, {"code": code, "message": message, "more_info": "", "status": status})
                return
            sid = "SM" + uuid.uuid4().hex
            recorded = RecordedMessage(match["sid"], user, form, sid)
            self.messages.append(recorded)
        if self.on_message is not None:
            self.on_message(recorded)
        now = datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
        first = {name: values[0] for name, values in form.items()}
        self._reply(
            request,
            201,
            {
                "sid": sid,
                "account_sid": match["sid"],
                "to": first.get("To"),
                "from": first.get("From"),
                "body": first.get("Body", ""),
                "status": "queued",
                "num_segments": "1",
                "num_media": str(len(form.get("MediaUrl", []))),
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "date_created": now,
                "date_updated": now,
                "date_sent": None,
                "price": None,
                "price_unit": "USD",
                "error_code": None,
                "error_message": None,
                "messaging_service_sid": None,
                "uri": f"/2010-04-01/Accounts/{match['sid']}/Messages/{sid}.json",
                "subresource_uris": {"media": f"/2010-04-01/Accounts/{match['sid']}/Messages/{sid}/Media.json"},
            },
        )

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)


def _basic_auth(header: str) -> tuple[str, str]:
    if not header.startswith("Basic "):
        return "", ""
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password
