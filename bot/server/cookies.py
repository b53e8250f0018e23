"""What the console's and the store dashboard's logins share: private cookies and the client address.

Cookies are HttpOnly, SameSite=Lax, scoped to their path, and Secure behind HTTPS.
"""

from __future__ import annotations

from sanic.request import Request
from sanic.response import HTTPResponse


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
