"""One money formatter for every price a shopper sees, per locale (bot/kernel/money.py)."""

from __future__ import annotations

import pytest

from bot.kernel.money import cash_digits, format_money, format_price_range, to_major, whole_cash_units

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("amount_minor", "currency", "locale", "shown"),
    [
        (5999, "GBP", "en_GB", "£59.99"),
        (129_900_000, "IDR", "id_ID", f"Rp{NBSP}1.299.000"),  # sen; shown in whole rupiah
        (5990, "EUR", "fi_FI", f"59,90{NBSP}€"),
        (129_900_050, "IDR", "id_ID", f"Rp{NBSP}1.299.000,50"),  # a fraction is never hidden
        (129_900_000, "IDR", "en_GB", f"IDR{NBSP}1,299,000"),  # an English reader of a Jakarta price
        (1500, "JPY", "en_GB", "JP¥1,500"),
        (1200, "CHF", "de_CH", f"CHF{NBSP}12.00"),  # babel's own space is not doubled
    ],
)
def test_amounts_read_as_people_in_that_locale_write_them(amount_minor: int, currency: str, locale: str, shown: str) -> None:
    assert format_money(amount_minor, currency, locale) == shown


def test_idr_minor_units_are_iso_4217_sen_and_cash_is_whole_rupiah() -> None:
    assert str(to_major(129_900_000, "IDR")) == "1299000.00"
    assert (cash_digits("IDR"), cash_digits("GBP"), cash_digits("EUR")) == (0, 2, 2)
    assert whole_cash_units(129_900_000, "IDR") and not whole_cash_units(129_900_050, "IDR")
    assert whole_cash_units(5999, "GBP")


def test_price_range_uses_the_same_formatter() -> None:
    assert format_price_range(188_900_000, 198_900_000, "IDR", "id_ID") == f"Rp{NBSP}1.889.000–Rp{NBSP}1.989.000"
