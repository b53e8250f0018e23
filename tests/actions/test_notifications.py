"""action_notify_order_event: the exact text uttered for each EXTERNAL_ order intent."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from actions.notifications import ActionNotifyOrderEvent
from bot.domain.hours import DayHours
from bot.models import StoreHours
from bot.replies.orders import format_hold_ending, format_order_event, format_order_ready, format_pickup_reminder
from bot.services import orders
from bot.services.pickup_alerts import PickupNotice
from bot.shop import Shop
from tests.actions.trackers import dispatcher, tracker
from tests.bot.factories import place, seed_small_shop

LONDON = ZoneInfo("Europe/London")


def _notice(**changes: object) -> PickupNotice:
    values: dict[str, object] = dict(
        reference="FS-7K2M9Q",
        status="ready",
        pickup_code="4HX9PT",
        store_name="Fellside Leeds",
        address="1 High Street, Leeds",
        postcode="LS1 1AA",
        today=date(2030, 5, 6),
        hours_today=DayHours(date(2030, 5, 6), "09:00", "17:30"),
        held_until=datetime(2030, 5, 9, 11, 0, tzinfo=LONDON),
        amount_due_minor=None,
        currency="GBP",
        locale="en_GB",
    )
    values.update(changes)
    return PickupNotice(**values)  # type: ignore[arg-type]


def test_ready_reminder_and_last_notice_texts() -> None:
    assert format_order_ready(_notice()) == (
        "Good news: your order FS-7K2M9Q is ready to collect from Fellside Leeds, 1 High Street, Leeds, LS1 1AA. "
        "Your pickup code is 4HX9PT. Fellside Leeds is open today (Mon) 09:00–17:30. "
        "We'll hold it for you until 11:00 on Thu 9 May."
    )
    assert format_pickup_reminder(_notice(held_until=datetime(2030, 5, 7, 18, 30, tzinfo=LONDON), amount_due_minor=8999)) == (
        "A reminder: your order FS-7K2M9Q is waiting for you at Fellside Leeds, 1 High Street, Leeds, LS1 1AA. "
        "Your pickup code is 4HX9PT. Fellside Leeds is open today (Mon) 09:00–17:30. "
        "We'll hold it until 18:30 tomorrow. Pay £89.99 when you collect."
    )
    closed = DayHours(date(2030, 5, 6), None, None, "Bank holiday")
    assert format_hold_ending(_notice(held_until=datetime(2030, 5, 6, 16, 0, tzinfo=LONDON), hours_today=closed)) == (
        "Last call: we can only hold your order FS-7K2M9Q at Fellside Leeds, 1 High Street, Leeds, LS1 1AA until "
        "16:00 today. Your pickup code is 4HX9PT. Fellside Leeds is closed today (Mon)."
    )


def test_no_text_once_the_order_is_not_waiting() -> None:
    assert format_order_event("ready_alert", _notice(status="collected")) is None
    assert format_order_event("hold_ending", _notice()) == format_hold_ending(_notice())
    with pytest.raises(KeyError):
        format_order_event("birthday", _notice())


def _open_every_day(shop: Shop, store_id: str) -> None:
    with shop.uow() as uow:
        uow.session.add_all(StoreHours(store_id=store_id, weekday=day, opens="09:00", closes="17:30") for day in range(7))
        uow.commit()


@pytest.mark.parametrize("intent, opening", [
    ("EXTERNAL_order_ready", "Good news: your order {ref} is ready to collect from"),
    ("EXTERNAL_pickup_reminder", "A reminder: your order {ref} is waiting for you at"),
])
async def test_the_action_utters_the_alert_for_the_order_in_the_entity(shop: Shop, intent: str, opening: str) -> None:
    seed_small_shop(shop)
    _open_every_day(shop, "leeds")
    now = datetime.now(timezone.utc)
    placed = place(shop, "sms:+447700900123", {"JKT-NVY-M": 1}, payment_method="at_pickup", channel="sms", now=now)
    shop.run(orders.mark_ready, placed.reference, "test", now)

    collecting = dispatcher()
    events = await ActionNotifyOrderEvent().run(
        collecting, tracker(intent=intent, entities=[{"entity": "order_reference", "value": placed.reference}]), {}
    )

    local_now = datetime.now(LONDON)
    held = placed.hold_expires_at.astimezone(LONDON)
    held_text = f"{held:%H:%M} on {format_date(held.date(), 'EEE d MMM', locale='en_GB')}"
    if held.date() == local_now.date() + timedelta(days=1):  # not with a 72 h hold, but keep the test honest
        held_text = f"{held:%H:%M} tomorrow"
    body = (
        f"Fellside Leeds, 1 High Street, Leeds, LS1 1AA. Your pickup code is {placed.pickup_code}. "
        f"Fellside Leeds is open today ({format_date(local_now.date(), 'EEE', locale='en_GB')}) 09:00–17:30. "
    )
    hold = f"We'll hold it for you until {held_text}." if intent == "EXTERNAL_order_ready" else f"We'll hold it until {held_text}."
    expected = f"{opening.format(ref=placed.reference)} {body}{hold} Pay £89.99 when you collect."
    assert events == []
    assert [message["text"] for message in collecting.messages] == [expected]


async def test_the_action_is_silent_for_collected_unknown_or_missing_orders(shop: Shop) -> None:
    seed_small_shop(shop)
    placed = place(shop, "web-1", {"JKT-NVY-M": 1}, payment_method="at_pickup")
    shop.run(orders.mark_ready, placed.reference, "test")
    shop.run(orders.mark_collected, placed.reference, "test", placed.pickup_code)
    for entities, intent in (
        ([{"entity": "order_reference", "value": placed.reference}], "EXTERNAL_hold_ending"),
        ([{"entity": "order_reference", "value": "FS-ZZZZZZ"}], "EXTERNAL_order_ready"),
        ([], "EXTERNAL_order_ready"),
        ([{"entity": "order_reference", "value": placed.reference}], "greet"),
    ):
        collecting = dispatcher()
        assert await ActionNotifyOrderEvent().run(collecting, tracker(intent=intent, entities=entities), {}) == []
        assert collecting.messages == []
