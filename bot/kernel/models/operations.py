"""Tables of the people behind the counter and of the machinery: agents, handoffs, store credentials, the audit log, login throttling, durable timers, turn effects and the funnel figures."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint

from bot.kernel import clock
from bot.kernel.models.base import Base, BigId, ts


class Agent(Base):
    __tablename__ = "agents"

    id = Column(BigId, primary_key=True, autoincrement=True)
    username = Column(String(80), nullable=False, unique=True)
    display_name = Column(String(120), nullable=False)
    password_hash = Column(String(200), nullable=False)
    last_seen_at = ts()
    created_at = ts(nullable=False, default=clock.now)


class HandoffSession(Base):
    """A conversation handed to people: waiting -> active -> returned | closed."""

    __tablename__ = "handoff_sessions"

    id = Column(BigId, primary_key=True, autoincrement=True)
    conversation_id = Column(String(160), nullable=False, index=True)
    channel = Column(String(20), nullable=False)
    state = Column(String(20), nullable=False, index=True)
    reason = Column(String(60), nullable=False)
    agent_id = Column(BigId, ForeignKey("agents.id"))
    requested_at = ts(nullable=False, default=clock.now)
    taken_at = ts()
    ended_at = ts()
    resolved_by = Column(String(10))  # agent | bot


class StoreCredential(Base):
    """A store's API key or dashboard password, only ever stored hashed."""

    __tablename__ = "store_credentials"

    id = Column(BigId, primary_key=True, autoincrement=True)
    store_id = Column(String(40), ForeignKey("stores.id"), nullable=False, index=True)
    kind = Column(String(20), nullable=False)  # api_key | dashboard
    key_prefix = Column(String(16), nullable=False, unique=True)
    secret_hash = Column(String(200), nullable=False)
    label = Column(String(120), nullable=False, default="")
    created_at = ts(nullable=False, default=clock.now)
    revoked_at = ts()


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id = Column(BigId, primary_key=True, autoincrement=True)
    actor = Column(String(120), nullable=False)
    store_id = Column(String(40), index=True)
    action = Column(String(60), nullable=False)
    detail = Column(JSON)
    at = ts(nullable=False, default=clock.now)

    # Console sessions are checked against logouts on every request.
    __table_args__ = (Index("ix_audit_log_actor_action_at", "actor", "action", "at"),)


class LoginThrottle(Base):
    """Recent login attempts of one account from one client address (bot/identity/login_throttle.py).

    Times are epoch seconds, so the delay ladder is plain arithmetic in one portable UPDATE.
    """

    __tablename__ = "login_throttle"

    account = Column(String(120), primary_key=True)  # "<console|store>:<username or store id>"
    client = Column(String(64), primary_key=True)
    failures = Column(Integer, nullable=False)
    last_attempt = Column(Float, nullable=False)
    retry_at = Column(Float, nullable=False)


class Timer(Base):
    """A durable timer (hold expiry, reminders, retries): swept from the database, so restarts keep it."""

    __tablename__ = "timers"

    id = Column(BigId, primary_key=True, autoincrement=True)
    kind = Column(String(40), nullable=False)
    subject = Column(String(120), nullable=False)
    due_at = ts(nullable=False)
    fired_at = ts()
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text)

    __table_args__ = (
        UniqueConstraint("kind", "subject", name="uq_timers_kind_subject"),
        Index("ix_timers_due_open", "fired_at", "due_at"),
    )


class TurnEffect(Base):
    """A side effect already done for one inbound message (bot/messaging/turn_effects.py).

    Written in the same transaction as the effect, so a message handled again after a crash finds it.
    """

    __tablename__ = "turn_effects"

    key = Column(String(400), primary_key=True)  # "<conversation>|<inbound message id>|<effect>#<n>"
    result = Column(String(200))  # what the effect made, e.g. the order reference
    created_at = ts(nullable=False, default=clock.now, index=True)


class FunnelFact(Base):
    """One counted step of the shopping funnel (bot/funnel/): the key makes a repeat delivery count once."""

    __tablename__ = "funnel_facts"
    __table_args__ = (Index("ix_funnel_facts_day_stage", "day", "stage"),)

    key = Column(String(300), primary_key=True)  # "<stage>|…": see bot/funnel/facts.py
    stage = Column(String(40), nullable=False)
    day = Column(Date, nullable=False)  # in the support desk's time zone
    conversation_id = Column(String(160), nullable=False)
    recorded_at = ts(nullable=False, default=clock.now)
