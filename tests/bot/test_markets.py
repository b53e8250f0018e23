"""A market's stores are priced in its currency and offer each other, never another market's stores."""

from __future__ import annotations

from bot.kernel.models import Inventory
from bot.catalog.stock_replies import format_stock_answer
from bot.catalog.inventory import check_stock, set_on_hand, where_in_stock
from bot.markets.lookup import market_for
from bot.kernel.shop import Shop


def test_jakarta_stock_is_priced_in_rupiah_and_manchester_in_pounds(catalog_shop: Shop) -> None:
    jakarta = catalog_shop.run(check_stock, "FS-BOOT-TRB", "grand-indonesia", "Brown", "9")
    manchester = catalog_shop.run(check_stock, "FS-BOOT-TRB", "arndale", "Brown", "9")

    assert (jakarta.price_minor, jakarta.currency) == (188_900_000, "IDR")
    assert (manchester.price_minor, manchester.currency) == (8999, "GBP")
    assert "Rp\xa01.889.000" in format_stock_answer(jakarta, "id_ID")
    assert "£89.99" in format_stock_answer(manchester)


def test_alternatives_stay_inside_the_market(catalog_shop: Shop) -> None:
    for store in ("arndale", "trafford", "didsbury", "salford-quays", "stockport", "altrincham", "grand-indonesia", "pondok-indah"):
        catalog_shop.run(set_on_hand, store, "FS-BOOT-TRB-BRN-9", 0)
    catalog_shop.run(set_on_hand, "kota-kasablanka", "FS-BOOT-TRB-BRN-9", 9)

    arndale = catalog_shop.run(check_stock, "FS-BOOT-TRB", "arndale", "Brown", "9")
    grand = catalog_shop.run(check_stock, "FS-BOOT-TRB", "grand-indonesia", "Brown", "9")

    assert arndale.nearby == []  # Jakarta has them, but is no alternative to Manchester
    assert [entry.store.store_id for entry in grand.nearby] == ["kota-kasablanka"]
    assert catalog_shop.run(where_in_stock, "FS-BOOT-TRB", "Brown", "9", "gb") == []
    assert [store.store_id for store, _ in catalog_shop.run(where_in_stock, "FS-BOOT-TRB", "Brown", "9", "id")] == ["kota-kasablanka"]


def test_the_conversation_market_follows_store_then_phone_country_then_default(catalog_shop: Shop) -> None:
    assert catalog_shop.run(market_for, "pondok-indah", "+447700900123", "gb").id == "id"
    assert catalog_shop.run(market_for, "arndale", "+6281234567890", "gb").id == "gb"  # the store decides
    assert catalog_shop.run(market_for, None, "+6281234567890", "gb").id == "id"
    assert catalog_shop.run(market_for, None, "+447700900123", "gb").id == "gb"
    assert catalog_shop.run(market_for, None, "+15551234567", "gb").id == "gb"  # no US market: the default
    assert catalog_shop.run(market_for, None, None, "id").id == "id"
    assert catalog_shop.run(market_for, None, "not a phone", "gb").id == "gb"


def test_stock_numbers_are_the_jakarta_stores_own(catalog_shop: Shop) -> None:
    with catalog_shop.uow() as uow:
        row = uow.session.get(Inventory, ("pondok-indah", "FS-BOOT-TRB-BRN-9"))
        expected = row.on_hand - row.reserved - (row.safety_buffer if row.safety_buffer is not None else 0)
    assert catalog_shop.run(check_stock, "FS-BOOT-TRB", "pondok-indah", "Brown", "9").available_here == max(0, expected)


def test_an_order_collected_in_jakarta_is_priced_and_paid_in_rupiah(catalog_shop: Shop) -> None:
    from bot.ordering.cart import add_to_cart
    from bot.ordering.placing import place_order

    catalog_shop.run(set_on_hand, "grand-indonesia", "FS-BOOT-TRB-BRN-9", 5)
    catalog_shop.run(add_to_cart, "jkt-1", "FS-BOOT-TRB-BRN-9", 2)
    order = catalog_shop.run(place_order, "jkt-1", "webchat", "grand-indonesia", "link")

    assert (order.currency, order.total_minor) == ("IDR", 2 * 188_900_000)
    assert [(line.unit_price_minor, line.currency) for line in order.lines] == [(188_900_000, "IDR")]

    catalog_shop.run(add_to_cart, "mcr-1", "FS-BOOT-TRB-BRN-9", 1)
    manchester = catalog_shop.run(place_order, "mcr-1", "webchat", "arndale", "link")
    assert (manchester.currency, manchester.total_minor) == ("GBP", 8999)


def test_the_ways_to_pay_are_the_markets_own(catalog_shop: Shop) -> None:
    from bot.conversation.support import faq_answer
    from bot.markets.lookup import find_market

    settings = catalog_shop.settings
    jakarta = catalog_shop.run(find_market, "id")
    answer = faq_answer("payment_methods", settings, jakarta)
    assert answer is not None and "QRIS, GoPay, ShopeePay" in answer and "Klarna" not in answer
    # Manchester keeps the retailer's own wording, with or without a market known.
    assert faq_answer("payment_methods", settings, catalog_shop.run(find_market, "gb")) == faq_answer("payment_methods", settings)
    assert "Klarna" in (faq_answer("payment_methods", settings) or "")


def test_a_jakarta_hold_is_told_in_jakarta_time(catalog_shop: Shop) -> None:
    from datetime import datetime, timezone

    from bot.ordering.checkout_replies import format_checked_out
    from bot.ordering.cart import add_to_cart
    from bot.ordering.checkout import CheckedOut
    from bot.ordering.placing import place_order

    catalog_shop.run(set_on_hand, "kota-kasablanka", "FS-BOOT-TRB-BRN-9", 5)
    catalog_shop.run(add_to_cart, "jkt-2", "FS-BOOT-TRB-BRN-9", 1)
    now = datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc)  # 16:00 in Jakarta
    order = catalog_shop.run(place_order, "jkt-2", "sms", "kota-kasablanka", "at_pickup", now=now)

    assert order.store_timezone == "Asia/Jakarta"
    held = order.hold_expires_at.astimezone(timezone.utc).replace(tzinfo=None)
    text = format_checked_out(CheckedOut(order=order, link=None))
    assert f"{(held.hour + 7) % 24:02d}:{held.minute:02d}" in text  # UTC+7, not London


def test_reviewing_a_basket_at_a_jakarta_store_prices_it_there_and_offers_only_jakarta(catalog_shop: Shop) -> None:
    from bot.ordering.cart import add_to_cart
    from bot.ordering.checkout import review_order

    for store in ("grand-indonesia", "pondok-indah", "arndale", "trafford", "didsbury", "salford-quays", "stockport", "altrincham"):
        catalog_shop.run(set_on_hand, store, "FS-BOOT-TRB-BRN-9", 0)
    catalog_shop.run(set_on_hand, "kota-kasablanka", "FS-BOOT-TRB-BRN-9", 4)
    catalog_shop.run(add_to_cart, "jkt-3", "FS-BOOT-TRB-BRN-9", 2)

    review = catalog_shop.run(review_order, "jkt-3", "grand-indonesia")

    assert (review.cart.currency, review.cart.total_minor) == ("IDR", 2 * 188_900_000)
    assert review.store_with_everything is not None and review.store_with_everything.store_id == "kota-kasablanka"

    catalog_shop.run(set_on_hand, "kota-kasablanka", "FS-BOOT-TRB-BRN-9", 0)
    catalog_shop.run(set_on_hand, "stockport", "FS-BOOT-TRB-BRN-9", 9)
    assert catalog_shop.run(review_order, "jkt-3", "grand-indonesia").store_with_everything is None  # not Stockport
    manchester = catalog_shop.run(review_order, "jkt-3", "arndale")
    assert (manchester.cart.currency, manchester.cart.total_minor) == ("GBP", 2 * 8999)
    assert manchester.store_with_everything is not None and manchester.store_with_everything.store_id == "stockport"


def test_product_options_in_a_market_are_in_its_currency(catalog_shop: Shop) -> None:
    from bot.catalog.matching import product_options

    jakarta = catalog_shop.run(product_options, "FS-BOOT-TRB", "id")
    manchester = catalog_shop.run(product_options, "FS-BOOT-TRB", "gb")  # gb has no price list of its own
    assert (jakarta.currency, jakarta.price_min_minor) == ("IDR", 188_900_000)
    assert (manchester.currency, manchester.price_min_minor) == ("GBP", 8999)
    assert catalog_shop.run(product_options, "FS-BOOT-TRB") == manchester


def test_the_price_of_one_colour_in_a_market(catalog_shop: Shop) -> None:
    from bot.catalog.matching import price_range

    assert catalog_shop.run(price_range, "FS-BOOT-TRB", "Black", "9", "id") == (188_900_000, 188_900_000, "IDR")
    assert catalog_shop.run(price_range, "FS-BOOT-TRB", "Black", "9", "gb") == (8999, 8999, "GBP")
    assert catalog_shop.run(price_range, "FS-BOOT-TRB", "Black", "9") == (8999, 8999, "GBP")
