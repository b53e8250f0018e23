"""Price limits as shoppers type them, read in the market's currency and turned into its minor units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.catalog.price_limits import PriceLimits, number_value, read_price_limits
from bot.languages.terms import to_english


@pytest.mark.parametrize(
    ("typed", "language", "currency", "high"),
    [
        # Jakarta: rupiah have no minor units people use, but ISO counts sen (Rp 1 = 100).
        ("jaket di bawah 500 ribu", "id", "IDR", 500_000_00),
        ("sepatu max 1jt", "id", "IDR", 1_000_000_00),
        ("under 500k", "en", "IDR", 500_000_00),
        ("budget 750.000", "id", "IDR", 750_000_00),
        ("ada jaket dibawah 1,5jt ga kak?", "id", "IDR", 1_500_000_00),
        ("kaos kurang dari Rp 600rb", "id", "IDR", 600_000_00),
        ("tenda maksimal 2 juta", "id", "IDR", 2_000_000_00),
        # Finland: euros and cents.
        ("takki alle 100 euroa", "fi", "EUR", 100_00),
        ("kengät max 80 €", "fi", "EUR", 80_00),
        ("alle 60e", "fi", "EUR", 60_00),
        ("pipo enintään 19,90 €", "fi", "EUR", 19_90),
        # Manchester, as before: pounds and pence, in English or Finnish.
        ("something under £50", "en", "GBP", 50_00),
        ("takkeja alle 100 puntaa", "fi", "GBP", 100_00),
        ("takki alle 100", "fi", "GBP", 100_00),  # a number alone is in the market's currency
        ("under 1,000", "en", "GBP", 1000_00),
    ],
)
def test_a_limit_is_read_in_the_market_currency(typed: str, language: str, currency: str, high: int) -> None:
    limits, rest = read_price_limits(to_english(typed, language), currency)

    assert limits == PriceLimits(high=high, currency=currency)
    assert not any(character.isdigit() for character in rest)  # the amount is not left to match products


def test_between_over_and_about() -> None:
    assert read_price_limits("tent between 4 jt and 6 juta", "IDR")[0] == PriceLimits(4_000_000_00, 6_000_000_00, "IDR")
    assert read_price_limits(to_english("tenda antara 4 jt dan 6 juta", "id"), "IDR")[0] == PriceLimits(4_000_000_00, 6_000_000_00, "IDR")
    assert read_price_limits("walking jacket between 100 and 50 quid", "GBP")[0] == PriceLimits(50_00, 100_00, "GBP")
    assert read_price_limits(to_english("teltta yli 300 euroa", "fi"), "EUR")[0] == PriceLimits(low=300_00, currency="EUR")
    assert read_price_limits("over 50 under 100", "GBP")[0] == PriceLimits(50_00, 100_00, "GBP")
    assert read_price_limits("about 30 quid", "GBP")[0] == PriceLimits(20_00, 40_00, "GBP")


def test_a_limit_in_another_currency_is_not_taken_for_the_markets() -> None:
    # "alle 100 euroa" to a Manchester store: 100 € is not £100, and the shop keeps no exchange rates.
    limits, rest = read_price_limits(to_english("takki alle 100 euroa", "fi"), "GBP")
    assert limits == PriceLimits(foreign=(Decimal(100), "EUR"))
    assert rest.split() == ["jacket"]
    assert read_price_limits("under £50", "IDR")[0].foreign == (Decimal(50), "GBP")
    # "500 ribu" to the Manchester web chat: counted as only rupiah are, so not £500,000.
    assert read_price_limits(to_english("ada jaket di bawah 500 ribu?", "id"), "GBP")[0].foreign == (Decimal(500_000), "IDR")
    assert read_price_limits("under 500k", "GBP")[0] == PriceLimits(high=500_000_00, currency="GBP")  # "k" is anyone's


@pytest.mark.parametrize(
    ("typed", "value"),
    [("750.000", "750000"), ("750,000", "750000"), ("1.500.000", "1500000"), ("1 500", "1500"), ("1,5", "1.5"),
     ("59,90", "59.90"), ("59.99", "59.99"), ("80", "80")],
)
def test_separators_group_thousands_or_mark_decimals(typed: str, value: str) -> None:
    assert number_value(typed) == Decimal(value)


@pytest.mark.parametrize("text", ["tent for 4 people", "jacket for a 6 year old", "trailblazer boots size 9", "reserve 2 at 10am"])
def test_numbers_that_are_no_price_limit(text: str) -> None:
    assert read_price_limits(text, "GBP") == (PriceLimits(), text)
