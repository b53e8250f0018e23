"""The one-time code mechanism shared by phone linking and order access."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.kernel.models import OneTimeCode
from bot.identity.one_time_codes import CodePolicy, TooManyCodes, check_code, issue_code, used_since
from bot.kernel.shop import Shop

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
POLICY = CodePolicy(purpose="test", ttl=timedelta(minutes=10), max_attempts=3, codes_per_hour=2)
PHONE = "+447700900123"


def _issue(shop: Shop, subject: str, phone: str = PHONE, now: datetime = NOW) -> str:
    with shop.uow() as uow:
        issued = issue_code(uow, POLICY, subject, phone, now)
        uow.commit()
        return issued.code


def _check(shop: Shop, subject: str, typed: str, now: datetime = NOW) -> tuple[str, int]:
    with shop.uow() as uow:
        checked = check_code(uow, POLICY, subject, typed, now)
        uow.commit()
        return checked.status, checked.attempts_left


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_only_a_hash_is_stored_and_the_right_code_is_used_once(shop: Shop) -> None:
    code = _issue(shop, "chat-1")
    with shop.uow() as uow:
        stored = uow.session.scalars(select(OneTimeCode)).one()
        assert code not in stored.code_hash and stored.code_hash.startswith("$argon2")
    assert _check(shop, "chat-1", f"{code[:3]} {code[3:]}") == ("accepted", 0)  # typed with a space
    assert _check(shop, "chat-1", code) == ("no_pending", 0)  # no replay
    with shop.uow() as uow:
        assert used_since(uow, POLICY, "chat-1", NOW - timedelta(minutes=1))
        assert not used_since(uow, POLICY, "chat-1", NOW)
        assert not used_since(uow, POLICY, "chat-2", NOW - timedelta(minutes=1))


def test_a_newer_code_replaces_the_older_one(shop: Shop) -> None:
    first = _issue(shop, "chat-1")
    second = _issue(shop, "chat-1", now=NOW + timedelta(minutes=1))
    if first != second:
        assert _check(shop, "chat-1", first)[0] == "invalid"
    assert _check(shop, "chat-1", second)[0] == "accepted"
    assert _check(shop, "chat-1", first)[0] == "no_pending"  # the older unused code did not come back


def test_wrong_tries_burn_the_code_and_expiry_ends_it(shop: Shop) -> None:
    code = _issue(shop, "chat-1")
    assert [_check(shop, "chat-1", _wrong(code)) for _ in range(3)] == [("invalid", 2), ("invalid", 1), ("too_many_attempts", 0)]
    assert _check(shop, "chat-1", code)[0] == "too_many_attempts"
    later = _issue(shop, "chat-2")
    assert _check(shop, "chat-2", later, now=NOW + timedelta(minutes=10))[0] == "expired"


def test_codes_are_capped_per_subject_and_per_phone_each_hour(shop: Shop) -> None:
    _issue(shop, "chat-1")
    _issue(shop, "chat-1", now=NOW + timedelta(minutes=1))
    with pytest.raises(TooManyCodes):
        _issue(shop, "chat-1", phone="+447700900999", now=NOW + timedelta(minutes=2))
    with pytest.raises(TooManyCodes):  # another chat texting the same phone
        _issue(shop, "chat-other", now=NOW + timedelta(minutes=2))
    assert _issue(shop, "chat-1", now=NOW + timedelta(minutes=61))


def test_racing_wrong_guesses_never_get_past_the_limit(pg_shop: Shop) -> None:
    code = _issue(pg_shop, "chat-1")
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: _check(pg_shop, "chat-1", _wrong(code))[0], range(24)))
    assert outcomes.count("invalid") == POLICY.max_attempts - 1
    assert outcomes.count("too_many_attempts") == 24 - (POLICY.max_attempts - 1)
    with pg_shop.uow() as uow:
        assert uow.session.scalars(select(OneTimeCode.attempts)).one() == POLICY.max_attempts
    assert _check(pg_shop, "chat-1", code)[0] == "too_many_attempts"
