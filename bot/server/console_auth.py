"""Agent console sessions and CSRF tokens: signed cookies, no server-side session store.

The session cookie holds ``agent_id.issued_ms.expires_ms.nonce`` and an HMAC-SHA256 of it keyed by
SHOP_SESSION_SECRET. Logging out records the time (audit log); a cookie issued before the agent's
last logout is refused, so a copied cookie dies with logout, and every cookie dies at its expiry.
The CSRF token is an HMAC of the session's nonce: a page of ours can read it, another site cannot.
Before login there is no session, so the login form uses a double-submit cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot import audit, clock
from bot.models import AuditEntry
from bot.services.agents import AgentView, get_agent, touch_agent
from bot.services.unit_of_work import UnitOfWork

SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/console"
LOGOUT_ACTION = "console_logout"


class ConsoleNotConfigured(RuntimeError):
    """SHOP_SESSION_SECRET is not set: the console cannot sign sessions, so nobody may log in."""


@dataclass(frozen=True)
class ConsoleSession:
    agent_id: int
    issued_ms: int
    expires_ms: int
    nonce: str


class SessionSigner:
    """Signs and checks session cookies and CSRF tokens with keys derived from the session secret."""

    def __init__(self, session_secret: str, ttl: timedelta) -> None:
        if not session_secret:
            raise ConsoleNotConfigured("set SHOP_SESSION_SECRET to use the agent console")
        root = session_secret.encode()
        self._session_key = hmac.new(root, b"agent-console-session", hashlib.sha256).digest()
        self._csrf_key = hmac.new(root, b"agent-console-csrf", hashlib.sha256).digest()
        self.ttl = ttl

    def issue(self, agent_id: int, now_ms: int) -> tuple[str, ConsoleSession]:
        session = ConsoleSession(agent_id, now_ms, now_ms + int(self.ttl.total_seconds() * 1000), secrets.token_urlsafe(16))
        body = f"{session.agent_id}.{session.issued_ms}.{session.expires_ms}.{session.nonce}"
        return f"{body}.{self._sign(body)}", session

    def read(self, cookie: str | None, now_ms: int) -> ConsoleSession | None:
        """The session in a cookie when its signature is right and it has not expired, else None."""
        if not cookie or len(cookie) > 400:
            return None
        body, _, signature = cookie.rpartition(".")
        if not body or not hmac.compare_digest(signature, self._sign(body)):
            return None
        parts = body.split(".")
        if len(parts) != 4 or not all(part.isdigit() for part in parts[:3]):
            return None
        session = ConsoleSession(int(parts[0]), int(parts[1]), int(parts[2]), parts[3])
        return session if session.expires_ms > now_ms else None

    def csrf_token(self, session: ConsoleSession) -> str:
        return hmac.new(self._csrf_key, session.nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, session: ConsoleSession, offered: str | None) -> bool:
        return bool(offered) and hmac.compare_digest(str(offered), self.csrf_token(session))

    def _sign(self, body: str) -> str:
        return hmac.new(self._session_key, body.encode(), hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def login_csrf_valid(cookie_value: str | None, form_value: str | None) -> bool:
    return bool(cookie_value) and bool(form_value) and hmac.compare_digest(str(cookie_value), str(form_value))


def _actor(agent_id: int) -> str:
    return f"agent:{agent_id}"


def active_agent(uow: UnitOfWork, session: ConsoleSession, *, now: datetime | None = None) -> AgentView | None:
    """The session's agent, if it still exists and has not logged out since the session began; marks presence."""
    agent = get_agent(uow, session.agent_id)
    if agent is None:
        return None
    last_logout = uow.session.scalar(
        select(func.max(AuditEntry.at)).where(AuditEntry.actor == _actor(agent.id), AuditEntry.action == LOGOUT_ACTION)
    )
    if last_logout is not None:
        logout_ms = int(clock.as_utc(last_logout).timestamp() * 1000)
        if logout_ms >= session.issued_ms:
            return None
    touch_agent(uow, agent.id, now=now)
    return agent


def record_logout(uow: UnitOfWork, agent_id: int, *, now: datetime | None = None) -> None:
    """Ends every console session of this agent issued up to now."""
    audit.record(uow, actor=_actor(agent_id), action=LOGOUT_ACTION, now=now)
    uow.commit()

