"""Customers across channels, conversation ids, and linking a web chat to a phone by one-time code."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.models import ChannelIdentity, Customer, OneTimeCode
from bot.services import identity
from bot.shop import Shop

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
WEB = "web-7f3c2a9e-0000-4000-8000-0123456789ab"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("whatsapp-less 0044 7700 900123".split(" ", 1)[1], "+447700900123"),
        ("+1 415-555-0132", "+14155550132"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw: str, e164: str) -> None:
    assert identity.normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "hello", "12", "+44 77"])
def test_non_numbers_are_rejected(raw: str) -> None:
    with pytest.raises(identity.InvalidPhoneNumber):
        identity.normalize_phone(raw)


def test_conversation_id_scheme_round_trips() -> None:
    assert identity.conversation_id_for("whatsapp", "+447700900123") == "whatsapp:+447700900123"
    assert identity.parse_conversation_id("whatsapp:+447700900123") == identity.ChannelAddress("whatsapp", "+447700900123")
    assert identity.parse_conversation_id("telegram:-1001") == identity.ChannelAddress("telegram", "-1001")
    for bad in ("nochannel", ":x", "sms:"):
        with pytest.raises(ValueError):
            identity.parse_conversation_id(bad)


def test_sms_and_whatsapp_are_two_conversations_of_one_customer(shop: Shop) -> None:
    sms = shop.run(identity.record_inbound_identity, "sms", "+447700900123", now=NOW)
    whatsapp = shop.run(identity.record_inbound_identity, "whatsapp", "+447700900123", now=NOW)
    telegram = shop.run(identity.record_inbound_identity, "telegram", "555", display_name="Ada", now=NOW)
    again = shop.run(identity.record_inbound_identity, "sms", "+447700900123", now=NOW + timedelta(hours=2))

    assert sms.customer_id == whatsapp.customer_id == again.customer_id
    assert telegram.customer_id != sms.customer_id
    assert (sms.conversation_id, whatsapp.conversation_id) == ("sms:+447700900123", "whatsapp:+447700900123")
    assert again.identity_id == sms.identity_id
    assert shop.run(identity.last_inbound_at, "sms", "+447700900123") == NOW + timedelta(hours=2)
    assert shop.run(identity.last_inbound_at, "whatsapp", "+447700900123") == NOW
    assert shop.run(identity.last_inbound_at, "messenger", "nobody") is None
    with shop.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Customer)) == 2
        assert uow.session.scalars(select(Customer.display_name).where(Customer.id == telegram.customer_id)).one() == "Ada"


def test_concurrent_first_messages_create_one_customer(shop: Shop) -> None:
    _race_first_messages(shop)


def test_concurrent_first_messages_create_one_customer_on_postgres(pg_shop: Shop) -> None:
    _race_first_messages(pg_shop)


def _race_first_messages(shop: Shop) -> None:
    start = threading.Barrier(6)
    results = []

    def first_message(channel: str) -> None:
        start.wait()
        results.append(shop.run(identity.record_inbound_identity, channel, "+447700900999"))

    threads = [threading.Thread(target=first_message, args=(channel,)) for channel in ["sms", "whatsapp"] * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({result.customer_id for result in results}) == 1
    with shop.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ChannelIdentity)) == 2


def test_link_web_chat_to_phone_with_the_right_code(shop: Shop) -> None:
    phone_customer = shop.run(identity.record_inbound_identity, "sms", "+447700900123").customer_id
    code = shop.run(identity.start_phone_link, WEB, "07700 900123", now=NOW)
    assert len(code) == 6 and code.isdigit()
    with shop.uow() as uow:
        stored = uow.session.scalars(select(OneTimeCode)).one()
        assert stored.code_hash != code and code not in stored.code_hash  # only a hash is kept
        assert (stored.phone, stored.subject, stored.purpose) == ("+447700900123", WEB, "link_phone")

    result = shop.run(identity.confirm_phone_link, WEB, code, now=NOW + timedelta(minutes=5))
    assert (result.status, result.customer_id, result.phone) == ("linked", phone_customer, "+447700900123")
    with shop.uow() as uow:
        web = uow.session.scalars(select(ChannelIdentity).where(ChannelIdentity.channel == "webchat")).one()
        assert (web.customer_id, web.conversation_id) == (phone_customer, WEB)
    # A code works once.
    assert shop.run(identity.confirm_phone_link, WEB, code, now=NOW + timedelta(minutes=6)).status == "no_pending"


def test_link_creates_the_phone_customer_when_new(shop: Shop) -> None:
    code = shop.run(identity.start_phone_link, WEB, "+447700900555", now=NOW)
    result = shop.run(identity.confirm_phone_link, WEB, code, now=NOW)
    assert result.linked
    sms = shop.run(identity.record_inbound_identity, "sms", "+447700900555")
    assert sms.customer_id == result.customer_id


def test_wrong_codes_count_attempts_and_lock_the_code(shop: Shop) -> None:
    code = shop.run(identity.start_phone_link, WEB, "+447700900123", now=NOW)
    wrong = "000000" if code != "000000" else "111111"
    statuses = [shop.run(identity.confirm_phone_link, WEB, wrong, now=NOW).status for _ in range(identity.LINK_CODE_MAX_ATTEMPTS)]
    assert statuses == ["invalid"] * identity.LINK_CODE_MAX_ATTEMPTS
    assert shop.run(identity.confirm_phone_link, WEB, code, now=NOW).status == "too_many_attempts"


def test_expired_code_and_superseded_code_fail(shop: Shop) -> None:
    old = shop.run(identity.start_phone_link, WEB, "+447700900123", now=NOW)
    assert shop.run(identity.confirm_phone_link, WEB, old, now=NOW + timedelta(minutes=11)).status == "expired"
    first = shop.run(identity.start_phone_link, WEB, "+447700900123", now=NOW)
    second = shop.run(identity.start_phone_link, WEB, "+447700900123", now=NOW)
    if first != second:
        assert shop.run(identity.confirm_phone_link, WEB, first, now=NOW).status == "invalid"
    assert shop.run(identity.confirm_phone_link, WEB, second, now=NOW).status == "linked"


def test_link_needs_a_real_phone_and_a_pending_code(shop: Shop) -> None:
    with pytest.raises(identity.InvalidPhoneNumber):
        shop.run(identity.start_phone_link, WEB, "not a phone")
    assert shop.run(identity.confirm_phone_link, "web-other", "123456").status == "no_pending"
