"""What the console's and the store dashboard's logins share: the one cookie signer, private cookies
and the client address.

Sessions are stateless: a session cookie is base64url(JSON claims) + "." + hex HMAC-SHA256, with its
expiry ("exp", epoch milliseconds) among the claims. CSRF tokens are an HMAC of a nonce: the session's
nonce once signed in, a pre-login cookie's nonce on a login form. Keys are derived from
SHOP_SESSION_SECRET per realm ("agent-console", "store-dashboard") and purpose, so a console cookie is
never a dashboard cookie and a CSRF token is never a session. Cookies are HttpOnly, SameSite=Lax,
scoped to their path, and Secure behind HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from typing import Any, Callable, TypeVar

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.kernel import clock

MAX_COOKIE_CHARS = 1024
T = TypeVar("T")


class SessionSecretMissing(RuntimeError):
    """SHOP_SESSION_SECRET is not set: nothing can be signed, so nobody may sign in."""


class CookieSigner:
    """Issues and reads signed session cookies and CSRF tokens for one realm."""

    def __init__(self, session_secret: str, realm: str) -> None:
        if not session_secret:
            raise SessionSecretMissing(f"set SHOP_SESSION_SECRET to sign {realm} sessions")
        root = session_secret.encode()
        self._session_key = hmac.new(root, f"{realm}:session".encode(), hashlib.sha256).digest()
        self._csrf_key = hmac.new(root, f"{realm}:csrf".encode(), hashlib.sha256).digest()

    def issue(self, claims: dict[str, Any], ttl: timedelta) -> str:
        """A cookie value carrying `claims` (JSON-able), a fresh "nonce" for CSRF tokens, until `ttl` from now."""
        expires_ms = int((clock.epoch_seconds() + ttl.total_seconds()) * 1000)
        sealed = {**claims, "nonce": new_nonce(), "exp": expires_ms}
        body = base64.urlsafe_b64encode(json.dumps(sealed, separators=(",", ":")).encode()).decode()
        return f"{body}.{_hmac(self._session_key, body)}"

    def read(self, cookie: str | None) -> dict[str, Any] | None:
        """The claims in a cookie when its signature is right and it has not expired, else None."""
        if not cookie or len(cookie) > MAX_COOKIE_CHARS:
            return None
        body, _dot, signature = cookie.rpartition(".")
        if not body or not hmac.compare_digest(signature.encode(), _hmac(self._session_key, body).encode()):
            return None
        try:
            claims = json.loads(base64.urlsafe_b64decode(body.encode()))
            expires_ms = int(claims["exp"])
        except (ValueError, KeyError, TypeError):
            return None
        return claims if isinstance(claims, dict) and expires_ms > clock.epoch_seconds() * 1000 else None

    def read_as(self, cookie: str | None, session: Callable[[dict[str, Any]], T]) -> T | None:
        """`session(claims)` for an accepted cookie; None when it is refused or its claims do not fit."""
        claims = self.read(cookie)
        try:
            return session(claims) if claims is not None else None
        except (KeyError, TypeError, ValueError):
            return None

    def csrf_token(self, nonce: str) -> str:
        return _hmac(self._csrf_key, nonce)

    def csrf_valid(self, nonce: str | None, offered: str | None) -> bool:
        return bool(nonce and offered) and hmac.compare_digest(self.csrf_token(nonce or "").encode(), str(offered).encode())


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def _hmac(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def client_address(request: Request) -> str:
    """The client's address for the login throttle.

    Behind a proxy set SANIC_PROXIES_COUNT (deploy/production.env.example): Sanic then reads the
    client from X-Forwarded-For; without it every client is the proxy's address and shares one count.
    """
    return (request.remote_addr or request.ip or "unknown")[:64]


def set_private_cookie(reply: HTTPResponse, name: str, value: str, *, path: str, max_age: int, secure: bool) -> None:
    """Sets a cookie scripts cannot read and other sites' forms do not send; `secure` behind HTTPS."""
    reply.cookies[name] = value
    cookie = reply.cookies[name]
    cookie["path"] = path
    cookie["httponly"] = True
    cookie["samesite"] = "Lax"
    cookie["max-age"] = max_age
    if secure:
        cookie["secure"] = True
