"""Reply texts (pure functions over the service results) and the small domain helpers they use."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.catalog.geo import directions_url, haversine_km
from bot.catalog.hours import DayHours
from bot.kernel.money import format_money, format_price_range
from bot.languages.wording import distance_text, human_list, numbered_options
from bot.catalog.stock_replies import (
    format_nearby,
    format_product_options,
    format_stock_answer,
    size_label,
)
from bot.catalog.store_replies import (
    format_day_hours,
    format_hours,
    format_nearest_stores,
    format_store_details,
    format_store_status,
)
from bot.catalog.stock_query import ProductOptions, StoreRef
from bot.catalog.inventory import NearbyStock, StockAnswer, check_stock
from bot.catalog.stores import NearestStores, StoreDayHours, StoreDetails, StoreDistance, StoreStatus
from bot.kernel.shop import Shop

ARNDALE, DIDSBURY, STOCKPORT = StoreRef("arndale", "Arndale"), StoreRef("didsbury", "Didsbury"), StoreRef("stockport", "Stockport")
THURSDAY = date(2026, 11, 26)


def answer(**changes: object) -> StockAnswer:
    values: dict[str, object] = dict(
        product_id="FS-BOOT-TRB", product_name="Trailblazer Waterproof Hiking Boot", colour="Brown", size="9",
        sku="FS-BOOT-TRB-BRN-9", price_minor=8999, price_max_minor=8999, currency="GBP", store=ARNDALE,
        available_here=3, quantity=1, nearby=[], colours_in_stock=["Brown"], sizes_in_stock=["9"],
    )
    values.update(changes)
    return StockAnswer(**values)  # type: ignore[arg-type]


NEARBY = [NearbyStock(DIDSBURY, 2, 4.123), NearbyStock(STOCKPORT, 5, 9.75)]
KINDER = ProductOptions("FS-FLC-KIN", "Kinder Fleece Jacket", "Fellside", "Fleeces & Tops", ["Navy", "Grey", "Burgundy"],
                        ["XS", "S", "M", "L", "XL", "XXL"], 5999, 6499, "GBP")


def test_in_stock() -> None:
    assert format_stock_answer(answer()) == "Yes! Arndale has 3 Trailblazer Waterproof Hiking Boot in brown, UK 9 (£89.99)."


def test_low_stock() -> None:
    assert format_stock_answer(answer(available_here=1)) == (
        "Yes, but only 1 left at Arndale: Trailblazer Waterproof Hiking Boot in brown, UK 9 (£89.99)."
    )


def test_out_of_stock_with_nearby_stores() -> None:
    text = format_stock_answer(answer(
        product_name="Kinder Fleece Jacket", colour="Navy", size="M", price_minor=5999, price_max_minor=5999,
        available_here=0, nearby=NEARBY,
    ))

    assert text == (
        "Sorry, Arndale is out of the Kinder Fleece Jacket in navy, M (£59.99). "
        "Didsbury has 2 in stock, 4.1 km away; Stockport has 5 in stock, 9.8 km away. Reserve at Didsbury?"
    )


def test_out_of_stock_everywhere() -> None:
    assert format_stock_answer(answer(available_here=0)) == (
        "Sorry, Arndale is out of the Trailblazer Waterproof Hiking Boot in brown, UK 9 (£89.99). "
        "No other store has it right now either."
    )


def test_not_enough_for_the_quantity() -> None:
    assert format_stock_answer(answer(available_here=2, quantity=4, nearby=NEARBY[1:])) == (
        "Arndale only has 2 Trailblazer Waterproof Hiking Boot in brown, UK 9 (you asked for 4, £89.99 each). "
        "Stockport has 5 in stock, 9.8 km away. Reserve at Stockport?"
    )


def test_open_choice_lists_what_is_in() -> None:
    text = format_stock_answer(answer(
        product_name="Kinder Fleece Jacket", colour=None, size=None, sku=None, price_minor=5999,
        price_max_minor=6499, available_here=14, colours_in_stock=["Navy", "Grey"], sizes_in_stock=["S", "M", "XXL"],
    ))

    assert text == (
        "Yes! Arndale has the Kinder Fleece Jacket (£59.99–£64.99), 14 in stock. "
        "Colours: navy and grey. Sizes in stock: S, M, XXL."
    )
    assert len(text) <= 160


def test_one_size_is_not_mentioned() -> None:
    text = format_stock_answer(answer(
        product_name="Daypack 25L", colour="Navy", size=None, sku="FS-PACK-DAY-NVY-OS", price_minor=4500,
        price_max_minor=4500, available_here=7, sizes_in_stock=["One Size"],
    ))

    assert text == "Yes! Arndale has 7 Daypack 25L in navy (£45.00)."


def test_real_answer_reads_well(catalog_shop: Shop) -> None:
    text = format_stock_answer(catalog_shop.run(check_stock, "FS-FLC-KIN", "arndale", "Navy", "M"))

    assert text.startswith("Sorry, Arndale is out of the Kinder Fleece Jacket in navy, M (£59.99). Didsbury has 2 in stock, 7.4 km away; ")
    assert len(text) <= 320


@pytest.mark.parametrize(("size", "label"), [("9", "UK 9"), ("9.5", "UK 9.5"), ("32", "W32"), ("M", "M"), ("One Size", "one size")])
def test_size_label(size: str, label: str) -> None:
    assert size_label(size) == label


def test_product_questions() -> None:
    assert format_product_options(KINDER) == "Kinder Fleece Jacket comes in navy, grey or burgundy, sizes XS to XXL (£59.99–£64.99)."
    assert format_nearby([]) == "No other store has it right now either."


def test_hours() -> None:
    assert format_hours("Arndale", DayHours(THURSDAY, "09:00", "20:00"), THURSDAY) == "Arndale is open today (Thu) 09:00–20:00."
    assert format_hours("Arndale", DayHours(date(2026, 11, 27), "09:00", "19:00"), THURSDAY) == (
        "Arndale is open tomorrow (Fri) 09:00–19:00."
    )
    assert format_hours("Didsbury", DayHours(date(2026, 11, 29), None, None), THURSDAY) == "Didsbury is closed on Sun 29 Nov."
    assert format_hours("Didsbury", DayHours(date(2026, 12, 25), None, None, "Christmas Day"), THURSDAY) == (
        "Didsbury is closed on Christmas Day (Fri 25 Dec)."
    )
    assert format_day_hours(StoreDayHours(ARNDALE, DayHours(date(2026, 12, 26), "10:00", "16:00", "Boxing Day"), THURSDAY)) == (
        "Arndale is open on Boxing Day (Sat 26 Dec) 10:00–16:00."
    )


def test_store_status_texts() -> None:
    thursday = DayHours(THURSDAY, "09:00", "20:00")
    assert format_store_status(StoreStatus(ARNDALE, datetime(2026, 11, 26, 19, 30), thursday, True)) == "Arndale is open now until 20:00."
    assert format_store_status(StoreStatus(ARNDALE, datetime(2026, 11, 26, 7, 30), thursday, False)) == (
        "Arndale is closed right now; it opens at 09:00 today."
    )
    christmas = DayHours(date(2026, 12, 25), None, None, "Christmas Day")
    assert format_store_status(StoreStatus(ARNDALE, datetime(2026, 12, 25, 12), christmas, False)) == (
        "Arndale is closed right now (Christmas Day)."
    )



def test_store_details_and_nearest() -> None:
    details = StoreDetails(ARNDALE, "Unit 14, Manchester Arndale", "M4 3AQ", "0161 496 0101", 53.48316, -2.23929,
                           "Europe/London", "GBP", "en_GB", True, directions_url(53.48316, -2.23929))
    assert format_store_details(details) == (
        "Arndale: Unit 14, Manchester Arndale, M4 3AQ. Tel 0161 496 0101. "
        "Directions: https://www.google.com/maps/dir/?api=1&destination=53.48316,-2.23929"
    )
    nearest = NearestStores("Chorlton", 53.4429, -2.277, [StoreDistance(DIDSBURY, 4.2), StoreDistance(ARNDALE, 5.06)])
    assert format_nearest_stores(nearest) == "Nearest to Chorlton: Didsbury (4.2 km) and Arndale (5.1 km)."


def test_helpers() -> None:
    assert human_list([]) == "" and human_list(["a"]) == "a" and human_list(["a", "b", "c"], "or") == "a, b or c"
    assert distance_text(0.04) == "under 0.1 km" and distance_text(12.96) == "13.0 km"
    assert numbered_options(["x", "y"]) == "1) x 2) y"


def test_money() -> None:
    assert format_money(8999, "GBP") == "£89.99"
    assert format_money(5, "gbp") == "£0.05"
    assert format_money(123456, "GBP") == "£1,234.56"
    assert format_money(1500, "JPY") == "JP¥1,500"  # yen has no minor unit
    assert format_money(8999, "EUR", "de_DE") == "89,99\xa0€"
    assert format_price_range(8999, 8999, "GBP") == "£89.99"
    assert format_price_range(5999, 6499, "GBP") == "£59.99–£64.99"


def test_haversine() -> None:
    # Equator to pole is a quarter of a great circle: pi/2 * 6371.0088 km.
    assert haversine_km(0.0, 0.0, 90.0, 0.0) == pytest.approx(10007.56, abs=0.01)
    assert haversine_km(53.0, -2.0, 53.0, -2.0) == 0.0
    assert haversine_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.19, abs=0.01)


def test_payment_received_promises_a_text_only_on_text_channels() -> None:
    from datetime import date, datetime, timedelta, timezone

    from bot.catalog.hours import DayHours
    from bot.ordering.notice_replies import format_payment_received
    from bot.ordering.pickup_alerts import PickupNotice

    notice = PickupNotice(
        reference="FS-8QKWF9", status="paid", pickup_code="4821", store_name="Arndale", address="1 Market St",
        postcode="M4 3AQ", today=date(2024, 6, 17), hours_today=DayHours(date(2024, 6, 17), "09:00", "17:30"),
        held_until=datetime(2024, 6, 17, 18, tzinfo=timezone(timedelta(hours=1))), amount_due_minor=None,
        total_minor=5999, currency="GBP", locale="en_GB",
    )
    on_web = format_payment_received(notice, "webchat")
    assert "Collect from Arndale, 1 Market St, M4 3AQ;" in on_web
    assert on_web.endswith("until Mon 17 Jun 18:00 and message you here when it's ready.")
    assert "text you" not in on_web
    assert format_payment_received(notice, "sms").endswith("and text you when it's ready.")
