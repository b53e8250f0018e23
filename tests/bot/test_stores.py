"""Store hours (weekly, closures, time zones), details, nearest stores and day phrases."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.catalog.hours import DayHours, WeekdayHours, local_date
from bot.kernel.models import Store
from bot.catalog.stock_query import StoreRef, UnknownStore
from bot.catalog.stores import (
    list_stores,
    nearest_stores,
    opening_hours,
    opening_hours_on,
    resolve_day,
    store_details,
    store_status,
    store_today,
    week_hours,
)
from bot.kernel.shop import Shop

THURSDAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("store_id", "day", "expected"),
    [
        ("arndale", THURSDAY, DayHours(THURSDAY, "09:00", "20:00")),  # late Thursday
        ("arndale", date(2026, 11, 27), DayHours(date(2026, 11, 27), "09:00", "19:00")),
        ("arndale", date(2026, 11, 29), DayHours(date(2026, 11, 29), "11:00", "17:00")),  # short Sunday
        ("didsbury", date(2026, 11, 29), DayHours(date(2026, 11, 29), None, None)),  # closed Sundays
        ("arndale", date(2026, 12, 25), DayHours(date(2026, 12, 25), None, None, "Christmas Day")),
        ("arndale", date(2026, 12, 26), DayHours(date(2026, 12, 26), "10:00", "16:00", "Boxing Day")),
        ("trafford", date(2026, 12, 26), DayHours(date(2026, 12, 26), "09:00", "20:00", "Boxing Day")),
        ("didsbury", date(2026, 12, 26), DayHours(date(2026, 12, 26), None, None, "Boxing Day")),
        ("trafford", date(2027, 1, 1), DayHours(date(2027, 1, 1), "11:00", "18:00", "New Year's Day")),
        ("stockport", date(2027, 1, 18), DayHours(date(2027, 1, 18), None, None, "Stocktake")),
        ("arndale", date(2027, 1, 18), DayHours(date(2027, 1, 18), "09:00", "19:00")),
    ],
)
def test_opening_hours_respect_weekdays_and_closures(
    catalog_shop: Shop, store_id: str, day: date, expected: DayHours
) -> None:
    assert catalog_shop.run(opening_hours, store_id, day) == expected


def test_closed_days_are_closed_at_every_hour() -> None:
    closed = DayHours(date(2026, 12, 25), None, None, "Christmas Day")
    open_day = DayHours(THURSDAY, "09:00", "20:00")

    assert closed.is_closed and closed.is_special and not closed.is_open_at(datetime(2026, 1, 1, 12).time())
    assert open_day.is_open_at(datetime(2026, 1, 1, 9, 0).time())
    assert not open_day.is_open_at(datetime(2026, 1, 1, 20, 0).time())


def test_today_is_the_stores_date_not_utcs(catalog_shop: Shop) -> None:
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST); in winter London is on UTC.
    assert catalog_shop.run(store_today, "arndale", datetime(2026, 7, 1, 23, 30, tzinfo=timezone.utc)) == date(2026, 7, 2)
    assert catalog_shop.run(store_today, "arndale", datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc)) == date(2026, 12, 1)
    assert local_date("America/New_York", datetime(2026, 7, 2, 2, 0, tzinfo=timezone.utc)) == date(2026, 7, 1)
    assert local_date("Europe/London", datetime(2026, 7, 1, 23, 30)) == date(2026, 7, 2)  # naive = UTC


def test_a_store_in_another_time_zone_uses_its_own_clock(catalog_shop: Shop) -> None:
    with catalog_shop.uow() as uow:
        uow.session.get(Store, "altrincham").timezone = "America/New_York"
        uow.commit()
    # 02:00 UTC on Friday 27 Nov is still Thursday evening (21:00) in New York: Thursday's hours apply.
    status = catalog_shop.run(store_status, "altrincham", datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc))

    assert status.hours == DayHours(THURSDAY, "09:30", "19:00")
    assert status.local_time.hour == 21 and status.is_open is False


@pytest.mark.parametrize(
    ("now", "is_open", "day"),
    [
        (datetime(2026, 11, 26, 19, 30, tzinfo=timezone.utc), True, THURSDAY),  # late opening
        (datetime(2026, 11, 27, 19, 30, tzinfo=timezone.utc), False, date(2026, 11, 27)),
        (datetime(2026, 7, 2, 7, 30, tzinfo=timezone.utc), False, date(2026, 7, 2)),  # 08:30 BST
        (datetime(2026, 7, 2, 8, 0, tzinfo=timezone.utc), True, date(2026, 7, 2)),  # 09:00 BST
        (datetime(2026, 12, 25, 12, 0, tzinfo=timezone.utc), False, date(2026, 12, 25)),
    ],
)
def test_store_status(catalog_shop: Shop, now: datetime, is_open: bool, day: date) -> None:
    status = catalog_shop.run(store_status, "arndale", now)

    assert (status.is_open, status.hours.day, status.store) == (is_open, day, StoreRef("arndale", "Arndale"))


def test_opening_hours_on_reads_the_day_from_the_message(catalog_shop: Shop) -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)

    boxing = catalog_shop.run(opening_hours_on, "didsbury", "are you open on boxing day?", now)
    plain = catalog_shop.run(opening_hours_on, "didsbury", "what time do you close", now)

    assert (boxing.store.name, boxing.hours.day, boxing.hours.is_closed, boxing.today) == (
        "Didsbury", date(2026, 12, 26), True, THURSDAY
    )
    assert plain.hours == DayHours(THURSDAY, "09:30", "19:00")


def test_week_hours_with_coming_closures(catalog_shop: Shop) -> None:
    week = catalog_shop.run(week_hours, "didsbury", date(2026, 12, 20), 10)

    assert week.store == StoreRef("didsbury", "Didsbury")
    assert week.days[3] == WeekdayHours(3, "09:30", "19:00")
    assert week.days[6] == WeekdayHours(6, None, None)
    assert [(day.day, day.note) for day in week.exceptions] == [
        (date(2026, 12, 24), "Christmas Eve"), (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 26), "Boxing Day"),
    ]
    assert catalog_shop.run(week_hours, "didsbury").exceptions == []


def test_store_details(catalog_shop: Shop) -> None:
    details = catalog_shop.run(store_details, "arndale")

    assert details.store == StoreRef("arndale", "Arndale")
    assert (details.postcode, details.phone, details.timezone) == ("M4 3AQ", "0161 496 0101", "Europe/London")
    assert details.directions_url == "https://www.google.com/maps/dir/?api=1&destination=53.48316,-2.23929"
    assert catalog_shop.run(store_details, "trafford").pay_at_pickup is False
    with pytest.raises(UnknownStore, match="leeds"):
        catalog_shop.run(store_details, "leeds")


def test_list_stores(catalog_shop: Shop) -> None:
    assert [store.store_id for store in catalog_shop.run(list_stores, "gb")] == [
        "altrincham", "arndale", "didsbury", "salford-quays", "stockport", "trafford"
    ]
    assert [store.name for store in catalog_shop.run(list_stores, "id")] == ["Grand Indonesia", "Kota Kasablanka", "Pondok Indah Mall"]
    assert len(catalog_shop.run(list_stores)) == 9


def test_a_jakarta_store_keeps_jakarta_time_and_hours(catalog_shop: Shop) -> None:
    # 15:30 UTC on a Saturday is 22:30 in Jakarta: Grand Indonesia (10-22) is shut, Pondok Indah (10-23) open.
    saturday_evening = datetime(2026, 12, 12, 15, 30, tzinfo=timezone.utc)
    assert catalog_shop.run(store_today, "pondok-indah", datetime(2026, 12, 12, 18, 0, tzinfo=timezone.utc)) == date(2026, 12, 13)
    assert not catalog_shop.run(store_status, "grand-indonesia", saturday_evening).is_open
    assert catalog_shop.run(store_status, "pondok-indah", saturday_evening).is_open


def test_the_nearest_stores_to_a_jakarta_place_are_in_jakarta(catalog_shop: Shop) -> None:
    found = catalog_shop.run(nearest_stores, "nearest store to blok m?", 2)
    assert [entry.store.store_id for entry in found.stores] == ["pondok-indah", "kota-kasablanka"]


@pytest.mark.parametrize(
    ("text", "place", "first"),
    [
        ("nearest shop to chorlton?", "Chorlton", "salford-quays"),
        ("M20 6RN", "M20", "didsbury"),
        ("i'm near piccadilly", "Piccadilly station", "arndale"),
        ("WA14", "WA14", "altrincham"),
        ("timperly", "Timperley", "altrincham"),
        ("media city", "MediaCityUK", "salford-quays"),
        ("near the etihad", "Etihad Stadium", "arndale"),
        ("sk1", "SK1", "stockport"),
        ("west didsbury", "West Didsbury", "didsbury"),
        ("stockport", "Stockport", "stockport"),
        ("Hale", "Hale", "altrincham"),
    ],
)
def test_nearest_stores(catalog_shop: Shop, text: str, place: str, first: str) -> None:
    nearest = catalog_shop.run(nearest_stores, text)

    assert nearest is not None
    assert (nearest.place_name, nearest.stores[0].store.store_id) == (place, first)
    assert len(nearest.stores) == 3
    distances = [entry.distance_km for entry in nearest.stores]
    assert distances == sorted(distances)


def test_nearest_stores_limit_and_unknown_places(catalog_shop: Shop) -> None:
    assert len(catalog_shop.run(nearest_stores, "chorlton", 6).stores) == 6
    assert catalog_shop.run(nearest_stores, "near me") is None
    assert catalog_shop.run(nearest_stores, "Edinburgh") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", THURSDAY), ("are you open tonight", THURSDAY), ("tomorrow", date(2026, 11, 27)),
        ("2moro", date(2026, 11, 27)), ("day after tomorrow", date(2026, 11, 28)),
        ("sunday", date(2026, 11, 29)), ("sat", date(2026, 11, 28)), ("thurs", THURSDAY),
        ("next thursday", date(2026, 12, 3)), ("on monday?", date(2026, 11, 30)),
        ("this weekend", date(2026, 11, 28)), ("on the 26th", THURSDAY), ("the 3rd", date(2026, 12, 3)),
        ("christmas day", date(2026, 12, 25)), ("xmas eve", date(2026, 12, 24)), ("boxing day", date(2026, 12, 26)),
        ("new year's day", date(2027, 1, 1)), ("NYE", date(2026, 12, 31)), ("26th december", date(2026, 12, 26)),
        ("dec 24", date(2026, 12, 24)), ("26/12", date(2026, 12, 26)), ("2027-01-18", date(2027, 1, 18)),
        ("1st of march", date(2027, 3, 1)), ("what are your hours", None), ("31st feb", None),
    ],
)
def test_resolve_day(text: str, expected: date | None) -> None:
    assert resolve_day(text, THURSDAY) == expected
