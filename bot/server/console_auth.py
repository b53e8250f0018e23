"""Agent console sessions and CSRF tokens, signed by the one cookie signer (bot.server.cookies).

The session cookie's claims are the agent, when it was issued and a nonce. Logging out records the
time (audit log); a cookie issued before the agent's last logout is refused, so a copied cookie dies
with logout, and every cookie dies at its expiry. The CSRF token is the signer's HMAC of the session's
nonce: a page of ours can read it, another site cannot. Before login there is no session, so the login
form's token is bound to a nonce in a pre-login cookie, as the store dashboard's is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.kernel import audit, clock
from bot.server.cookies import CookieSigner
from bot.kernel.models import AuditEntry
from bot.handoff.agents import AgentView, get_agent, touch_agent
from bot.kernel.unit_of_work import UnitOfWork

SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/console"
LOGOUT_ACTION = "console_logout"
REALM = "agent-console"


@dataclass(frozen=True)
class ConsoleSession:
    agent_id: int
    issued_ms: int
    nonce: str


def issue_session(signer: CookieSigner, agent_id: int, ttl: timedelta) -> str:
    """A session cookie for `agent_id`, issued now and good for `ttl`."""
    issued_ms = int(clock.epoch_seconds() * 1000)
    return signer.issue({"agent": agent_id, "issued": issued_ms}, ttl)


def read_session(signer: CookieSigner, cookie: str | None) -> ConsoleSession | None:
    """The session in a cookie when the signer accepts it (signature, expiry) and it names an agent."""
    return signer.read_as(cookie, lambda claims: ConsoleSession(int(claims["agent"]), int(claims["issued"]), str(claims["nonce"])))


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

