"""Support agent accounts: creation, password checks (argon2id hashes) and presence.

Passwords are never stored or logged; only argon2id hashes are. A hash made with older parameters
is upgraded on the next successful login.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.kernel import clock
from bot.kernel.models import Agent
from bot.kernel.unit_of_work import UnitOfWork

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
# Presence writes are throttled: a console polling every few seconds updates the row at most this often.
PRESENCE_WRITE_INTERVAL = timedelta(seconds=30)

_hasher = PasswordHasher()
# A hash to verify against when the username does not exist, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


class AgentError(ValueError):
    """An agent account could not be created (bad username, weak password, taken username)."""


@dataclass(frozen=True)
class AgentView:
    id: int
    username: str
    display_name: str
    last_seen_at: datetime | None


def _view(agent: Agent) -> AgentView:
    return AgentView(int(agent.id), agent.username, agent.display_name, agent.last_seen_at)


def validate_password(password: str) -> None:
    """Raises AgentError when a new password is too short or absurdly long."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AgentError(f"password must be at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AgentError(f"password must be at most {MAX_PASSWORD_CHARS} characters")


def create_agent(uow: UnitOfWork, username: str, display_name: str, password: str) -> AgentView:
    """Creates an agent account with an argon2id password hash.

    Raises:
        AgentError: the username is not 2-80 characters of a-z, 0-9, ".", "_", "-" (lower case), the
            display name is empty, the password is too short, or the username is taken.
    """
    username = username.strip().lower()
    display_name = display_name.strip()
    if not USERNAME_PATTERN.match(username):
        raise AgentError("username must be 2-80 characters: letters, digits, '.', '_' or '-'")
    if not display_name or len(display_name) > 120:
        raise AgentError("display name must be 1-120 characters")
    validate_password(password)
    agent = Agent(username=username, display_name=display_name, password_hash=_hasher.hash(password))
    uow.session.add(agent)
    try:
        uow.session.flush()
    except IntegrityError as error:
        uow.rollback()
        raise AgentError(f"username {username!r} is already taken") from error
    view = _view(agent)
    uow.commit()
    return view


def authenticate_agent(uow: UnitOfWork, username: str, password: str) -> AgentView | None:
    """The agent whose username and password match, else None (same answer for unknown users)."""
    agent = uow.session.scalars(select(Agent).where(Agent.username == username.strip().lower())).first()
    if agent is None:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(agent.password_hash, password):
        return None
    if _hasher.check_needs_rehash(agent.password_hash):
        agent.password_hash = _hasher.hash(password)
        uow.commit()
    return _view(agent)


def set_password(uow: UnitOfWork, username: str, password: str) -> None:
    """Replaces an agent's password.

    Raises:
        AgentError: no such agent, or the password is too short.
    """
    validate_password(password)
    agent = uow.session.scalars(select(Agent).where(Agent.username == username.strip().lower())).first()
    if agent is None:
        raise AgentError(f"no agent called {username!r}")
    agent.password_hash = _hasher.hash(password)
    uow.commit()


def get_agent(uow: UnitOfWork, agent_id: int) -> AgentView | None:
    agent = uow.session.get(Agent, agent_id)
    return _view(agent) if agent is not None else None


def touch_agent(uow: UnitOfWork, agent_id: int, *, now: datetime | None = None) -> None:
    """Marks an agent as present now (at most one write per PRESENCE_WRITE_INTERVAL)."""
    now = now or clock.now()
    uow.session.execute(
        update(Agent)
        .where(
            Agent.id == agent_id,
            or_(Agent.last_seen_at.is_(None), Agent.last_seen_at < now - PRESENCE_WRITE_INTERVAL),
        )
        .values(last_seen_at=now)
    )
    uow.commit()


def agents_online(uow: UnitOfWork, within: timedelta, *, now: datetime | None = None) -> int:
    """How many agents used the console within the last `within`."""
    now = now or clock.now()
    seen = uow.session.scalars(select(Agent.id).where(Agent.last_seen_at >= now - within)).all()
    return len(seen)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
