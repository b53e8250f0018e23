"""Session cookies for the console and the store dashboard: HttpOnly, SameSite=Lax, scoped to their path."""

from __future__ import annotations

from sanic.response import HTTPResponse


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
