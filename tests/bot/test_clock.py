"""The one clock: a test freezes it once and every service that is not told the time reads it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.kernel import clock
from bot.kernel.models import AuditEntry, Order
from bot.ordering.cart import add_to_cart
from bot.ordering.orders import cancel_order
from bot.ordering.placing import place_order
from bot.kernel.shop import Shop
from tests.bot.factories import seed_small_shop

FROZEN = datetime(2031, 3, 4, 9, 15, tzinfo=timezone.utc)


def test_a_frozen_clock_dates_an_order_its_hold_and_its_audit_row(shop: Shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(add_to_cart, "c-clock", ids.jacket, 1)
    with clock.frozen_at(FROZEN):
        placed = shop.run(place_order, "c-clock", "web", ids.leeds, "link")
        shop.run(cancel_order, placed.reference, "changed my mind", "shopper:c-clock")
    assert placed.hold_expires_at == FROZEN + timedelta(minutes=120)
    with shop.uow() as uow:
        order = uow.session.scalars(select(Order).where(Order.reference == placed.reference)).one()
        assert clock.as_utc(order.created_at) == FROZEN
        cancelled = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "order_cancelled")).one()
        assert clock.as_utc(cancelled.at) == FROZEN
    assert clock.now() != FROZEN  # thawed after the block


def test_stored_times_read_back_as_utc() -> None:
    naive = datetime(2031, 3, 4, 9, 15)
    helsinki = datetime(2031, 3, 4, 11, 15, tzinfo=timezone(timedelta(hours=2)))
    assert clock.as_utc(naive) == FROZEN and clock.as_utc(naive).tzinfo is timezone.utc
    assert clock.as_utc(helsinki) == FROZEN and clock.as_utc(helsinki).tzinfo is timezone.utc
    assert clock.as_utc(None) is None
    with pytest.raises(ValueError):
        with clock.frozen_at(naive):
            pass
