"""Per-store credentials: API keys for tills and integrations, and the store dashboard's password.

An API key is shown once, when it is created, as `<prefix>.<secret>`. Only the prefix (to find the
row) and an argon2 hash of the secret are stored, so a database leak gives away no usable key.
Verification runs argon2 on every request: slow by design, and nothing is cached, so a revoked key
stops working at once on every replica.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update

from bot.catalog.stock_query import UnknownStore
from bot.kernel import audit, clock
from bot.kernel.models import Store, StoreCredential
from bot.kernel.unit_of_work import UnitOfWork

API_KEY = "api_key"
DASHBOARD = "dashboard"
API_KEY_PREFIX_START = "sk"
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_LABEL_LENGTH = 120

_hasher = PasswordHasher()
# Verified when a prefix is unknown, so a wrong prefix costs as long as a wrong secret.
_DECOY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class StoreAccessError(Exception):
    """Base of the credential errors an operator or a caller can be told about."""


class WeakPassword(StoreAccessError):
    def __init__(self) -> None:
        super().__init__(f"a dashboard password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")


@dataclass(frozen=True)
class StorePrincipal:
    """Who is calling: the store a verified credential belongs to."""

    store_id: str
    credential_id: int
    kind: str
    key_prefix: str
    label: str

    @property
    def actor(self) -> str:
        """How audit entries name this caller (never the secret)."""
        return f"store_api:{self.key_prefix}" if self.kind == API_KEY else f"dashboard:{self.store_id}"


@dataclass(frozen=True)
class ApiKeyInfo:
    key_prefix: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


def _require_store(uow: UnitOfWork, store_id: str) -> None:
    if uow.session.get(Store, store_id) is None:
        raise UnknownStore(store_id)


def _verify(secret_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _principal(credential: StoreCredential) -> StorePrincipal:
    return StorePrincipal(
        store_id=credential.store_id,
        credential_id=credential.id,
        kind=credential.kind,
        key_prefix=credential.key_prefix,
        label=credential.label,
    )


def create_api_key(
    uow: UnitOfWork, store_id: str, label: str = "", actor: str = "cli", now: datetime | None = None
) -> tuple[str, str]:
    """Creates an API key for one store.

    Returns:
        (prefix, full_key): the full key `<prefix>.<secret>` is shown to the operator once and never stored.

    Raises:
        UnknownStore: no such store.
    """
    now = now or clock.now()
    _require_store(uow, store_id)
    prefix = f"{API_KEY_PREFIX_START}{secrets.token_hex(5)}"
    secret = secrets.token_urlsafe(32)
    uow.session.add(
        StoreCredential(
            store_id=store_id,
            kind=API_KEY,
            key_prefix=prefix,
            secret_hash=_hasher.hash(secret),
            label=label.strip()[:MAX_LABEL_LENGTH],
            created_at=now,
        )
    )
    audit.record(
        uow, actor=actor, action="api_key_created", now=now, store_id=store_id,
        key_prefix=prefix, label=label.strip()[:MAX_LABEL_LENGTH],
    )
    uow.commit()
    return prefix, f"{prefix}.{secret}"


def revoke_api_key(uow: UnitOfWork, prefix: str, actor: str = "cli", now: datetime | None = None) -> bool:
    """Revokes an API key by its prefix (the part before the dot).

    Returns:
        True if a live key was revoked; False if there was none (unknown or already revoked).
    """
    now = now or clock.now()
    credential = uow.session.scalars(
        select(StoreCredential).where(StoreCredential.key_prefix == prefix.strip(), StoreCredential.kind == API_KEY)
    ).first()
    if credential is None or credential.revoked_at is not None:
        return False
    credential.revoked_at = now
    audit.record(uow, actor=actor, action="api_key_revoked", now=now, store_id=credential.store_id, key_prefix=credential.key_prefix)
    uow.commit()
    return True


def list_api_keys(uow: UnitOfWork, store_id: str) -> list[ApiKeyInfo]:
    """A store's API keys (prefixes and labels only), oldest first."""
    rows = uow.session.scalars(
        select(StoreCredential)
        .where(StoreCredential.store_id == store_id, StoreCredential.kind == API_KEY)
        .order_by(StoreCredential.id)
    )
    return [ApiKeyInfo(row.key_prefix, row.label, row.created_at, row.revoked_at) for row in rows]


def authenticate_api_key(uow: UnitOfWork, presented: str) -> StorePrincipal | None:
    """The store a presented `<prefix>.<secret>` key belongs to, or None for anything else.

    Unknown prefixes, revoked keys, dashboard credentials and wrong secrets all give None, and all
    cost one argon2 verification, so timing does not tell them apart.
    """
    prefix, dot, secret = (presented or "").strip().partition(".")
    credential = None
    if dot and prefix and secret and len(prefix) <= 16:
        credential = uow.session.scalars(
            select(StoreCredential).where(
                StoreCredential.key_prefix == prefix,
                StoreCredential.kind == API_KEY,
                StoreCredential.revoked_at.is_(None),
            )
        ).first()
    if credential is None:
        _verify(_DECOY_HASH, secret or "-")
        return None
    return _principal(credential) if _verify(credential.secret_hash, secret) else None


def _live_dashboard_credential(uow: UnitOfWork, store_id: str) -> StoreCredential | None:
    return uow.session.scalars(
        select(StoreCredential)
        .where(
            StoreCredential.store_id == store_id,
            StoreCredential.kind == DASHBOARD,
            StoreCredential.revoked_at.is_(None),
        )
        .order_by(StoreCredential.id.desc())
    ).first()


def set_dashboard_password(
    uow: UnitOfWork, store_id: str, password: str, actor: str = "cli", now: datetime | None = None
) -> None:
    """Sets (or replaces) a store's dashboard password; sessions signed in with the old one end.

    Raises:
        UnknownStore: no such store; WeakPassword: too short or too long.
    """
    now = now or clock.now()
    _require_store(uow, store_id)
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakPassword()
    uow.session.execute(
        update(StoreCredential)
        .where(StoreCredential.store_id == store_id, StoreCredential.kind == DASHBOARD, StoreCredential.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    uow.session.add(
        StoreCredential(
            store_id=store_id,
            kind=DASHBOARD,
            key_prefix=f"db{secrets.token_hex(6)}",
            secret_hash=_hasher.hash(password),
            label="dashboard password",
            created_at=now,
        )
    )
    audit.record(uow, actor=actor, action="dashboard_password_set", now=now, store_id=store_id)
    uow.commit()


def check_dashboard_login(uow: UnitOfWork, store_id: str, password: str) -> StorePrincipal | None:
    """The store's principal if `password` is its live dashboard password, else None (always one argon2 run)."""
    credential = _live_dashboard_credential(uow, store_id.strip()) if store_id else None
    if credential is None or len(password) > MAX_PASSWORD_LENGTH:
        _verify(_DECOY_HASH, password[:MAX_PASSWORD_LENGTH] or "-")
        return None
    return _principal(credential) if _verify(credential.secret_hash, password) else None


def dashboard_credential_is_live(uow: UnitOfWork, store_id: str, credential_id: int) -> bool:
    """True while the password a session signed in with has not been replaced (cheap: no hashing)."""
    credential = _live_dashboard_credential(uow, store_id)
    return credential is not None and credential.id == credential_id
