"""Markets: what a retailer's market is made of, and the payment methods each pay-link provider knows.

A market (markets.csv, one row each) names its currency, locale, time zone, languages, the payment
methods shoppers there are offered and the provider that makes its pay links. Method ids are the
provider's own words, sent to it unchanged: Stripe Checkout's `payment_method_types`, Midtrans'
`enabled_payments`. Display names here are brand names, the same in every language; generic methods
("card", "bank transfer") carry an English label the languages work translates by method id.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

LINK_PROVIDERS = ("stripe", "midtrans")

# provider -> method id -> how a shopper reads it
PAYMENT_METHODS: dict[str, dict[str, str]] = {
    "stripe": {
        "card": "card", "klarna": "Klarna", "paypal": "PayPal", "mobilepay": "MobilePay", "ideal": "iDEAL",
        "bancontact": "Bancontact", "link": "Link", "revolut_pay": "Revolut Pay", "sepa_debit": "SEPA Direct Debit",
        "afterpay_clearpay": "Clearpay", "blik": "BLIK", "eps": "EPS", "twint": "TWINT", "swish": "Swish",
    },
    "midtrans": {
        "credit_card": "card", "gopay": "GoPay", "shopeepay": "ShopeePay", "qris": "QRIS", "bca_va": "BCA Virtual Account",
        "bni_va": "BNI Virtual Account", "bri_va": "BRI Virtual Account", "permata_va": "Permata Virtual Account",
        "other_va": "bank transfer", "echannel": "Mandiri Bill", "indomaret": "Indomaret", "alfamart": "Alfamart",
        "akulaku": "Akulaku", "kredivo": "Kredivo",
    },
}


@dataclass(frozen=True)
class Market:
    """One market, as the conversation and the payment flow need it."""

    id: str
    name: str
    country: str
    currency: str
    locale: str
    timezone: str
    languages: tuple[str, ...]
    payment_methods: tuple[str, ...]
    link_provider: str

    @property
    def language(self) -> str:
        """The market's own language (the first listed)."""
        return self.languages[0]

    def method_names(self) -> list[str]:
        """The offered methods as a shopper reads them, in the market's order."""
        names = PAYMENT_METHODS[self.link_provider]
        return [names[method] for method in self.payment_methods]


def parse_languages(value: str) -> str:
    """'id en' -> 'id en': ISO 639-1 codes babel knows, space- or comma-separated, first = the market's own."""
    codes = [code.strip().lower() for code in value.replace(",", " ").split() if code.strip()]
    if not codes:
        raise ValueError("must list at least one language code like en or id")
    for code in codes:
        try:
            Locale.parse(code)
        except (ValueError, UnknownLocaleError):
            raise ValueError(f"{code!r} is not a language code babel knows") from None
    return " ".join(dict.fromkeys(codes))


def parse_locale(value: str) -> str:
    """'id_ID' -> 'id_ID', refusing locales babel cannot format money and dates for."""
    try:
        Locale.parse(value.strip())
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"must be a locale like en_GB or id_ID, got {value!r}") from None
    return value.strip()


def parse_country(value: str) -> str:
    """'id' -> 'ID': an ISO 3166-1 alpha-2 country babel knows."""
    cleaned = value.strip().upper()
    if len(cleaned) != 2 or cleaned not in Locale("en").territories:
        raise ValueError(f"must be a two-letter country code like GB or ID, got {value!r}")
    return cleaned


def parse_link_provider(value: str) -> str:
    cleaned = value.strip().lower()
    if cleaned not in LINK_PROVIDERS:
        raise ValueError(f"must be one of {', '.join(LINK_PROVIDERS)}, got {value!r}")
    return cleaned


def check_payment_methods(provider: str, methods: str) -> str:
    """Validates a space-separated method list against the provider's ids; returns it normalised.

    Raises:
        ValueError: empty list, or a method the provider does not offer.
    """
    listed = [method for method in methods.replace(",", " ").lower().split() if method]
    if not listed:
        raise ValueError("must list at least one payment method")
    unknown = [method for method in listed if method not in PAYMENT_METHODS[provider]]
    if unknown:
        raise ValueError(f"{provider} does not offer {', '.join(unknown)} (known: {', '.join(PAYMENT_METHODS[provider])})")
    return " ".join(dict.fromkeys(listed))
