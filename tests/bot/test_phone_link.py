"""Linking a chat to a phone by one-time code, and the basket and orders following the shopper afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.ordering.rules import NotYourOrder
from bot.kernel.models import ChannelIdentity, OneTimeCode
from bot.ordering import cart, phone_link
from bot.identity import customers as identity
from bot.ordering.checkout import find_shoppers_order
from bot.identity.one_time_codes import TooManyCodes
from bot.ordering.order_access import get_order_for
from bot.ordering.orders import orders_for_conversation
from bot.kernel.shop import Shop
from tests.bot.factories import place, seed_small_shop

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
WEB = "web-7f3c2a9e-0000-4000-8000-0123456789ab"
PHONE = "+447700900123"
SMS = f"sms:{PHONE}"


def link(shop: Shop, conversation_id: str, phone: str = PHONE, now: datetime = NOW) -> phone_link.LinkResult:
    issued = shop.run(phone_link.start_phone_link, conversation_id, phone, now=now)
    return shop.run(phone_link.confirm_phone_link, conversation_id, issued.code, now=now)


def test_link_web_chat_to_phone_with_the_right_code(shop: Shop) -> None:
    phone_customer = shop.run(identity.record_inbound_identity, "sms", PHONE).customer_id
    issued = shop.run(phone_link.start_phone_link, WEB, "07700 900123", now=NOW)
    assert issued.phone == PHONE and len(issued.code) == 6 and issued.code.isdigit()
    with shop.uow() as uow:
        stored = uow.session.scalars(select(OneTimeCode)).one()
        assert stored.code_hash != issued.code and issued.code not in stored.code_hash  # only a hash is kept
        assert (stored.phone, stored.subject, stored.purpose) == (PHONE, WEB, "link_phone")

    result = shop.run(phone_link.confirm_phone_link, WEB, issued.code, now=NOW + timedelta(minutes=5))
    assert (result.status, result.customer_id, result.phone) == ("linked", phone_customer, PHONE)
    with shop.uow() as uow:
        web = uow.session.scalars(select(ChannelIdentity).where(ChannelIdentity.channel == "webchat")).one()
        assert (web.customer_id, web.conversation_id) == (phone_customer, WEB)
    # A code works once.
    assert shop.run(phone_link.confirm_phone_link, WEB, issued.code, now=NOW + timedelta(minutes=6)).status == "no_pending"


def test_link_creates_the_phone_customer_when_new(shop: Shop) -> None:
    result = link(shop, WEB, "+447700900555")
    assert result.linked
    sms = shop.run(identity.record_inbound_identity, "sms", "+447700900555")
    assert sms.customer_id == result.customer_id


def test_a_telegram_chat_moves_to_the_phone_customer(shop: Shop) -> None:
    telegram = shop.run(identity.record_inbound_identity, "telegram", "42", now=NOW)
    sms = shop.run(identity.record_inbound_identity, "sms", PHONE, now=NOW)
    assert telegram.customer_id != sms.customer_id
    assert link(shop, "telegram:42").customer_id == sms.customer_id
    with shop.uow() as uow:
        assert identity.customer_of_conversation(uow.session, "telegram:42") == sms.customer_id


def test_wrong_codes_count_attempts_and_lock_the_code(shop: Shop) -> None:
    issued = shop.run(phone_link.start_phone_link, WEB, PHONE, now=NOW)
    wrong = "000000" if issued.code != "000000" else "111111"
    results = [shop.run(phone_link.confirm_phone_link, WEB, wrong, now=NOW) for _ in range(phone_link.LINK_CODE_MAX_ATTEMPTS)]
    assert [(r.status, r.attempts_left) for r in results] == [("invalid", 4), ("invalid", 3), ("invalid", 2), ("invalid", 1), ("too_many_attempts", 0)]
    assert shop.run(phone_link.confirm_phone_link, WEB, issued.code, now=NOW).status == "too_many_attempts"


def test_expired_code_and_superseded_code_fail(shop: Shop) -> None:
    old = shop.run(phone_link.start_phone_link, WEB, PHONE, now=NOW).code
    assert shop.run(phone_link.confirm_phone_link, WEB, old, now=NOW + timedelta(minutes=11)).status == "expired"
    first = shop.run(phone_link.start_phone_link, WEB, PHONE, now=NOW).code
    second = shop.run(phone_link.start_phone_link, WEB, PHONE, now=NOW).code
    if first != second:
        assert shop.run(phone_link.confirm_phone_link, WEB, first, now=NOW).status == "invalid"
    assert shop.run(phone_link.confirm_phone_link, WEB, second, now=NOW).status == "linked"


def test_link_needs_a_real_phone_and_a_pending_code(shop: Shop) -> None:
    with pytest.raises(identity.InvalidPhoneNumber):
        shop.run(phone_link.start_phone_link, WEB, "not a phone")
    assert shop.run(phone_link.confirm_phone_link, "web-other", "123456").status == "no_pending"


def test_codes_are_capped_per_chat_and_per_phone_each_hour(shop: Shop) -> None:
    for minute in range(phone_link.LINK_CODES_PER_HOUR):
        shop.run(phone_link.start_phone_link, WEB, PHONE, now=NOW + timedelta(minutes=minute))
    with pytest.raises(TooManyCodes):
        shop.run(phone_link.start_phone_link, WEB, "+447700900999", now=NOW + timedelta(minutes=5))
    with pytest.raises(TooManyCodes):  # another chat texting the same stranger's phone
        shop.run(phone_link.start_phone_link, "web-someone-else", PHONE, now=NOW + timedelta(minutes=5))
    assert shop.run(phone_link.start_phone_link, WEB, PHONE, now=NOW + timedelta(minutes=61)).phone == PHONE


def test_sms_and_whatsapp_share_one_basket(shop: Shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(identity.record_inbound_identity, "sms", PHONE, now=NOW)
    shop.run(identity.record_inbound_identity, "whatsapp", PHONE, now=NOW)
    shop.run(cart.add_to_cart, SMS, ids.jacket, 1)
    on_whatsapp = shop.run(cart.add_to_cart, f"whatsapp:{PHONE}", ids.jacket, 1)
    assert [(line.sku, line.quantity) for line in on_whatsapp.lines] == [(ids.jacket, 2)]
    shop.run(cart.clear_cart, SMS)
    assert shop.run(cart.view_cart, f"whatsapp:{PHONE}").is_empty


def test_linking_moves_the_web_basket_into_the_phone_basket(shop: Shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(identity.record_inbound_identity, "sms", PHONE, now=NOW)
    shop.run(cart.add_to_cart, SMS, ids.jacket, 1)
    shop.run(cart.add_to_cart, WEB, ids.jacket, 2)
    shop.run(cart.add_to_cart, WEB, ids.fleece, 1)

    assert link(shop, WEB).linked

    expected = [(ids.jacket, 3), (ids.fleece, 1)]
    assert sorted((l.sku, l.quantity) for l in shop.run(cart.view_cart, WEB).lines) == sorted(expected)
    assert sorted((l.sku, l.quantity) for l in shop.run(cart.view_cart, SMS).lines) == sorted(expected)


def test_orders_follow_the_shopper_both_ways_after_linking(shop: Shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(identity.record_inbound_identity, "sms", PHONE, now=NOW)
    by_text = place(shop, SMS, {ids.jacket: 1}, channel="sms", contact_phone=PHONE, now=NOW)
    assert by_text.customer_id is not None  # stamped from the conversation's identity
    assert shop.run(orders_for_conversation, WEB) == []

    assert link(shop, WEB).linked

    assert [o.reference for o in shop.run(orders_for_conversation, WEB)] == [by_text.reference]
    assert shop.run(get_order_for, by_text.reference, WEB).reference == by_text.reference
    assert shop.run(find_shoppers_order, WEB, None).reference == by_text.reference

    on_web = place(shop, WEB, {ids.fleece: 1}, contact_phone=None, now=NOW + timedelta(minutes=1))
    assert on_web.customer_id == by_text.customer_id
    assert [o.reference for o in shop.run(orders_for_conversation, SMS)] == [on_web.reference, by_text.reference]


def test_an_unlinked_chat_still_cannot_read_the_phone_shoppers_orders(shop: Shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(identity.record_inbound_identity, "sms", PHONE, now=NOW)
    by_text = place(shop, SMS, {ids.jacket: 1}, channel="sms", contact_phone=PHONE, now=NOW)
    with pytest.raises(NotYourOrder):
        shop.run(get_order_for, by_text.reference, "web-stranger")


def test_relinking_to_another_phone_leaves_the_first_phones_basket_alone(shop: Shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(identity.record_inbound_identity, "sms", PHONE, now=NOW)
    shop.run(cart.add_to_cart, SMS, ids.jacket, 1)
    assert link(shop, WEB).linked
    assert link(shop, WEB, "+447700900999", now=NOW + timedelta(hours=2)).linked

    assert [(l.sku, l.quantity) for l in shop.run(cart.view_cart, SMS).lines] == [(ids.jacket, 1)]
    assert shop.run(cart.view_cart, WEB).is_empty  # the chat now shows the second phone's (empty) basket


def test_a_telegram_chats_own_basket_moves_with_it(shop: Shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(identity.record_inbound_identity, "telegram", "42", now=NOW)
    shop.run(cart.add_to_cart, "telegram:42", ids.fleece, 2)
    assert link(shop, "telegram:42").linked
    shop.run(identity.record_inbound_identity, "sms", PHONE, now=NOW)
    assert [(l.sku, l.quantity) for l in shop.run(cart.view_cart, SMS).lines] == [(ids.fleece, 2)]


def test_unlinking_a_web_chat_leaves_the_basket_and_orders_with_the_phone(shop: Shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(identity.record_inbound_identity, "sms", PHONE, now=NOW)
    by_text = place(shop, SMS, {ids.jacket: 1}, channel="sms", contact_phone=PHONE, now=NOW)
    shop.run(cart.add_to_cart, SMS, ids.fleece, 1)
    assert link(shop, WEB).linked

    assert shop.run(phone_link.unlink_phone, WEB) is True
    assert shop.run(orders_for_conversation, WEB) == []
    assert shop.run(cart.view_cart, WEB).is_empty
    with pytest.raises(NotYourOrder):
        shop.run(get_order_for, by_text.reference, WEB)
    assert [(l.sku, l.quantity) for l in shop.run(cart.view_cart, SMS).lines] == [(ids.fleece, 1)]
    assert shop.run(phone_link.unlink_phone, WEB) is False  # nothing left to unlink


def test_unlinking_a_telegram_chat_gives_it_a_customer_of_its_own(shop: Shop) -> None:
    phone_customer = shop.run(identity.record_inbound_identity, "sms", PHONE, now=NOW).customer_id
    shop.run(identity.record_inbound_identity, "telegram", "42", now=NOW)
    assert link(shop, "telegram:42").customer_id == phone_customer
    assert shop.run(phone_link.unlink_phone, "telegram:42") is True
    with shop.uow() as uow:
        own = identity.customer_of_conversation(uow.session, "telegram:42")
        assert own is not None and own != phone_customer
        assert identity.contact_phone_for(uow.session, "telegram:42") is None


def test_phone_conversations_and_unlinked_chats_have_nothing_to_unlink(shop: Shop) -> None:
    shop.run(identity.record_inbound_identity, "sms", PHONE, now=NOW)
    shop.run(identity.record_inbound_identity, "telegram", "7", now=NOW)
    assert shop.run(phone_link.unlink_phone, SMS) is False
    assert shop.run(phone_link.unlink_phone, "telegram:7") is False
    assert shop.run(phone_link.unlink_phone, "web-never-linked") is False
