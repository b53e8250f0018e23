"""Money as integer minor units, formatted for people with babel (en_GB: 8999 GBP -> "£89.99")."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Converts integer minor units to an exact decimal amount (8999 GBP -> Decimal("89.99"))."""
    digits = get_currency_precision(currency.upper())
    return Decimal(amount_minor).scaleb(-digits)


def format_money(amount_minor: int, currency: str, locale: str = "en_GB") -> str:
    """Formats an amount in minor units for a shopper, e.g. `format_money(8999, "GBP")` -> "£89.99".

    Args:
        amount_minor: Amount in the currency's minor units (pence for GBP).
        currency: ISO 4217 code.
        locale: The shopper's locale; decides symbol placement and separators.

    Returns:
        The localised amount with its currency symbol.
    """
    return format_currency(to_major(amount_minor, currency), currency.upper(), locale=locale)


def format_price_range(low_minor: int, high_minor: int, currency: str, locale: str = "en_GB") -> str:
    """"£45.00" when both ends agree, otherwise "£89.99–£94.99"."""
    if low_minor == high_minor:
        return format_money(low_minor, currency, locale)
    return f"{format_money(low_minor, currency, locale)}–{format_money(high_minor, currency, locale)}"
