"""Money as integer minor units, formatted for people with babel (en_GB: 8999 GBP -> "£89.99").

Minor units are ISO 4217's, as babel/CLDR give them (`get_currency_precision`): pence for GBP, cents for
EUR, and sen (1/100) for IDR. IDR is the odd one: ISO and Stripe count it with two decimals, but the
rupiah has had no coins below Rp 1 for decades and CLDR's *cash* digits for it are 0. So an IDR amount is
stored as sen (Rp 1.299.000 = 129_900_000), shown without decimals ("Rp 1.299.000"), and handed to
providers that want whole rupiah (Midtrans' gross_amount) divided by 100. `whole_cash_units` is the
check that an amount can be shown and paid that way; the catalogue loader refuses prices that fail it.
"""

from __future__ import annotations

import contextvars
import re
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Iterator, Mapping

from babel import Locale
from babel.core import get_global
from babel.numbers import format_currency, get_currency_precision, get_currency_symbol


DEFAULT_LOCALE = "en_GB"
# currency -> the locale of the market that sells in it ({"GBP": "en_GB", "IDR": "id_ID"}), for the turn being
# answered: an amount is written the way its market writes it ("Rp 1.299.000", "59,90 €"), whatever language
# the words around it are in. Set by the conversation engine around a turn (`market_locales`).
_market_locales: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("market_locales", default={})


@contextmanager
def market_locales(locales: Mapping[str, str]) -> Iterator[None]:
    """Within the block, an amount formatted without a locale uses its currency's market locale."""
    token = _market_locales.set({code.upper(): locale for code, locale in locales.items()})
    try:
        yield
    finally:
        _market_locales.reset(token)


def money_locale(currency: str) -> str:
    """The locale amounts in `currency` are written in: its market's (see `market_locales`), else en_GB."""
    return _market_locales.get().get(currency.upper(), DEFAULT_LOCALE)


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Converts integer minor units to an exact decimal amount (8999 GBP -> Decimal("89.99"))."""
    digits = get_currency_precision(currency.upper())
    return Decimal(amount_minor).scaleb(-digits)


def to_minor(amount: Decimal, currency: str) -> int:
    """Converts an exact decimal amount to integer minor units (Decimal("89.99") GBP -> 8999; Rp 500.000 -> 50_000_000
    sen), rounding a fraction below the minor unit half up."""
    digits = get_currency_precision(currency.upper())
    return int(amount.scaleb(digits).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cash_digits(currency: str) -> int:
    """Decimals people use for this currency (CLDR cash digits): 2 for GBP and EUR, 0 for IDR and JPY."""
    code = currency.upper()
    fractions = get_global("currency_fractions")
    digits, _rounding, cash, _cash_rounding = fractions.get(code, fractions["DEFAULT"])
    return min(digits, cash)


def whole_cash_units(amount_minor: int, currency: str) -> bool:
    """True when the amount has no digits below the currency's cash unit (IDR: a whole rupiah)."""
    step = 10 ** (get_currency_precision(currency.upper()) - cash_digits(currency))
    return amount_minor % step == 0


@lru_cache(maxsize=64)
def _pattern_without_decimals(locale: str) -> str:
    """The locale's currency pattern with its fraction part dropped ('¤#,##0.00' -> '¤#,##0')."""
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    return re.sub(r"\.0+#*", "", pattern)


def _currency_spacing(text: str, currency: str, locale: str) -> str:
    """CLDR's currencySpacing rule, which babel does not apply: a symbol made of letters ("Rp", "CHF")
    gets a no-break space where it touches a digit, so id_ID reads "Rp 1.299.000", not "Rp1.299.000".
    """
    symbol = get_currency_symbol(currency, locale=locale)
    if text.startswith(symbol) and symbol[-1:].isalpha() and text[len(symbol):len(symbol) + 1].isdigit():
        return f"{symbol}\xa0{text[len(symbol):]}"
    if text.endswith(symbol) and symbol[:1].isalpha() and text[-len(symbol) - 1:-len(symbol)].isdigit():
        return f"{text[:-len(symbol)]}\xa0{symbol}"
    return text


def format_money(amount_minor: int, currency: str, locale: str | None = None, *, whole: bool = False) -> str:
    """Formats an amount in minor units for a shopper; the one money formatter of the project.

    `format_money(8999, "GBP")` -> "£89.99"; `format_money(129_900_000, "IDR", "id_ID")` -> "Rp 1.299.000";
    `format_money(5990, "EUR", "fi_FI")` -> "59,90 €" (no-break spaces).

    Args:
        amount_minor: Amount in the currency's ISO 4217 minor units (pence for GBP, sen for IDR).
        currency: ISO 4217 code.
        locale: The shopper's (or the market's) locale; decides symbol placement and separators. None: the
            locale of the currency's market (`money_locale`).
        whole: an amount of whole major units is written without decimals ("under £50", "alle 100 €"), as a
            shopper says a limit; one with pence or cents keeps them.

    Returns:
        The localised amount with its currency symbol, with decimals only where the currency's cash
        uses them (or where the amount has a fraction a cash amount would not).
    """
    code = currency.upper()
    locale = locale or money_locale(code)
    amount = to_major(amount_minor, code)
    whole_units = amount_minor % 10 ** get_currency_precision(code) == 0
    if (whole and whole_units) or (cash_digits(code) == 0 < get_currency_precision(code) and whole_cash_units(amount_minor, code)):
        text = format_currency(amount, code, locale=locale, format=_pattern_without_decimals(locale), currency_digits=False)
    else:
        text = format_currency(amount, code, locale=locale)
    return _currency_spacing(text, code, locale)


def format_price_range(low_minor: int, high_minor: int, currency: str, locale: str | None = None) -> str:
    """"£45.00" when both ends agree, otherwise "£89.99–£94.99"."""
    if low_minor == high_minor:
        return format_money(low_minor, currency, locale)
    return f"{format_money(low_minor, currency, locale)}–{format_money(high_minor, currency, locale)}"
