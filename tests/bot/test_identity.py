"""Customers across channels and conversation ids."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.kernel.models import ChannelIdentity, Customer
from bot.identity import customers as identity
from bot.kernel.shop import Shop

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


@pytest.mark.parametrize(
    "raw",
    [
        "", "hello", "12", "+44 77",
        # Card numbers have a possible length for some country but lie in no assigned range: the probe
        # had link codes queued to "+444242..." before phone numbers were checked with is_valid_number.
        "4242 4242 4242 4242", "4242424242424242", "+44 4242 4242 4242", "5555-5555-5555-4444",
        "+44 7700 90012",  # one digit short of the drama range
    ],
)
def test_non_numbers_are_rejected(raw: str) -> None:
    with pytest.raises(identity.InvalidPhoneNumber) as refused:
        identity.normalize_phone(raw)
    assert "4242 4242 4242" not in str(refused.value)  # the message is logged: a card number in it is masked


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


def test_contact_phone_is_the_conversations_own_number_or_a_linked_phone(shop: Shop) -> None:
    shop.run(identity.record_inbound_identity, "telegram", "555", now=NOW)
    with shop.uow() as uow:
        assert identity.contact_phone_for(uow.session, "sms:+447700900123") == "+447700900123"
        assert identity.contact_phone_for(uow.session, "whatsapp:+447700900123") == "+447700900123"
        assert identity.contact_phone_for(uow.session, "telegram:555") is None  # known, but no phone yet
        assert identity.contact_phone_for(uow.session, WEB) is None
        identity.link_conversation_to_phone(uow.session, "telegram:555", "+447700900777", NOW)
        identity.link_conversation_to_phone(uow.session, WEB, "+447700900777", NOW)
        uow.commit()
    with shop.uow() as uow:
        assert identity.contact_phone_for(uow.session, "telegram:555") == "+447700900777"
        assert identity.contact_phone_for(uow.session, WEB) == "+447700900777"


def test_baskets_belong_to_the_customer_once_there_is_one(shop: Shop) -> None:
    sms = shop.run(identity.record_inbound_identity, "sms", "+447700900123", now=NOW)
    with shop.uow() as uow:
        assert identity.shopper_key(uow.session, WEB) == WEB
        assert identity.shopper_key(uow.session, "sms:+447700900123") == f"customer:{sms.customer_id}"
        assert identity.shopper_key(uow.session, "whatsapp:+447700900123") == "whatsapp:+447700900123"  # not seen yet
    shop.run(identity.record_inbound_identity, "whatsapp", "+447700900123", now=NOW)
    with shop.uow() as uow:
        assert identity.shopper_key(uow.session, "whatsapp:+447700900123") == f"customer:{sms.customer_id}"
