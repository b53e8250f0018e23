"""One-time codes texted to a phone to prove the shopper holds it: one mechanism for every purpose.

Linking a chat to a phone and reading an order from another channel both work the same way: six digits,
stored only as an argon2 hash, alive for a few minutes, capped per chat and per phone each hour (texting
costs money and can annoy a stranger whose number was typed), and burnt after a few wrong tries. The try
counter moves with a conditional UPDATE, so parallel guesses cannot get past the limit.

Only the newest code of a subject counts: asking again makes the earlier code useless, and a used code
cannot be replayed. The caller owns the transaction and commits whatever the outcome (a wrong try must
count even when the caller then raises).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select, update

from bot.kernel import clock
from bot.kernel.models import OneTimeCode

from bot.kernel.unit_of_work import UnitOfWork

CODE_DIGITS = 6
# Cheap enough for a six-digit code that also expires and locks after a few attempts.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@dataclass(frozen=True)
class CodePolicy:
    """What one purpose allows: how long a code lives, how many tries, how many codes an hour."""

    purpose: str
    ttl: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    codes_per_hour: int = 3


@dataclass(frozen=True)
class IssuedCode:
    code: str
    phone: str
    expires_at: datetime


CheckStatus = Literal["accepted", "no_pending", "expired", "too_many_attempts", "invalid"]


@dataclass(frozen=True)
class CodeCheck:
    status: CheckStatus
    attempts_left: int = 0
    phone: str = ""


class TooManyCodes(Exception):
    """The subject, or the phone, already had `codes_per_hour` codes of this purpose in the last hour."""


def issue_code(uow: UnitOfWork, policy: CodePolicy, subject: str, phone: str, now: datetime) -> IssuedCode:
    """Adds a fresh code for `subject`, to be texted to `phone`; the caller commits and sends it.

    Raises:
        TooManyCodes: the hourly cap for this subject or this phone is reached.
    """
    issued_last_hour = uow.session.scalar(
        select(func.count())
        .select_from(OneTimeCode)
        .where(
            OneTimeCode.purpose == policy.purpose,
            or_(OneTimeCode.subject == subject, OneTimeCode.phone == phone),
            # A code's issue time is its expiry minus the policy's lifetime.
            OneTimeCode.expires_at > now - timedelta(hours=1) + policy.ttl,
        )
    )
    if issued_last_hour >= policy.codes_per_hour:
        raise TooManyCodes()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    expires_at = now + policy.ttl
    uow.session.add(
        OneTimeCode(
            purpose=policy.purpose,
            subject=subject,
            phone=phone,
            code_hash=_hasher.hash(code),
            expires_at=expires_at,
            attempts=0,
        )
    )
    return IssuedCode(code=code, phone=phone, expires_at=expires_at)


def check_code(uow: UnitOfWork, policy: CodePolicy, subject: str, typed: str, now: datetime) -> CodeCheck:
    """Checks what the shopper typed against the newest code of `subject`; a right code is used up."""
    session = uow.session
    newest = session.scalars(
        select(OneTimeCode)
        .where(OneTimeCode.purpose == policy.purpose, OneTimeCode.subject == subject)
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    ).first()
    if newest is None or newest.used_at is not None:
        return CodeCheck("no_pending")
    if clock.as_utc(newest.expires_at) <= now:
        return CodeCheck("expired")
    counted = session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.id == newest.id, OneTimeCode.attempts < policy.max_attempts)
        .values(attempts=OneTimeCode.attempts + 1)
    )
    if counted.rowcount != 1:
        return CodeCheck("too_many_attempts")
    if not _matches(newest.code_hash, "".join(ch for ch in typed if ch.isdigit())):
        attempts = session.scalar(select(OneTimeCode.attempts).where(OneTimeCode.id == newest.id))
        attempts_left = policy.max_attempts - int(attempts)
        return CodeCheck("invalid", attempts_left=attempts_left) if attempts_left > 0 else CodeCheck("too_many_attempts")
    session.execute(update(OneTimeCode).where(OneTimeCode.id == newest.id).values(used_at=now))
    return CodeCheck("accepted", phone=newest.phone)


def used_since(uow: UnitOfWork, policy: CodePolicy, subject: str, since: datetime) -> bool:
    """Whether a code of `subject` was accepted after `since` (a proof that is still fresh)."""
    return bool(
        uow.session.scalar(
            select(func.count())
            .select_from(OneTimeCode)
            .where(
                OneTimeCode.purpose == policy.purpose,
                OneTimeCode.subject == subject,
                OneTimeCode.used_at.is_not(None),
                OneTimeCode.used_at > since,
            )
        )
    )


def _matches(code_hash: str, code: str) -> bool:
    try:
        return _hasher.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False
