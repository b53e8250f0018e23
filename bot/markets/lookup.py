"""Markets as the rest of the system reads them: a store's market, the conversation's, prices in it.

A store without a market (catalogues from before markets, test fixtures) belongs to no market: it is
priced at its variants' prices and offered everywhere, as before.
"""

from __future__ import annotations

from typing import Iterable

import phonenumbers
from sqlalchemy import func, select

from bot.markets.rules import Market
from bot.kernel.models import Market as MarketRow
from bot.kernel.models import MarketPrice, Store, Variant
from bot.kernel.unit_of_work import UnitOfWork, read_only


def _market(row: MarketRow) -> Market:
    return Market(
        id=row.id, name=row.name, country=row.country, currency=row.currency, locale=row.locale, timezone=row.timezone,
        languages=tuple(row.languages.split()), payment_methods=tuple(row.payment_methods.split()),
        link_provider=row.link_provider,
    )


@read_only
def find_market(uow: UnitOfWork, market_id: str | None) -> Market | None:
    row = uow.session.get(MarketRow, market_id) if market_id else None
    return _market(row) if row is not None else None


@read_only
def all_markets(uow: UnitOfWork) -> list[Market]:
    return [_market(row) for row in uow.session.scalars(select(MarketRow).order_by(MarketRow.id))]


@read_only
def locales_by_currency(uow: UnitOfWork) -> dict[str, str]:
    """currency -> the locale of the (first) market that sells in it: how its amounts are written."""
    locales: dict[str, str] = {}
    for market in all_markets(uow):
        locales.setdefault(market.currency, market.locale)
    return locales


@read_only
def market_of_store(uow: UnitOfWork, store_id: str) -> Market | None:
    market_id = uow.session.scalar(select(Store.market_id).where(Store.id == store_id))
    return find_market(uow, market_id)


@read_only
def market_for(uow: UnitOfWork, store_id: str | None, phone: str | None, default_market: str | None) -> Market | None:
    """The market a conversation is in.

    The store it is about decides; without one, the country of the shopper's phone number (SMS and
    WhatsApp: +62 -> Indonesia); without that, the deployment's default market (SHOP_DEFAULT_MARKET).
    The language does not decide: an Indonesian speaker texting a Manchester store shops in Manchester.
    None when the catalogue has no markets at all.
    """
    if store_id:
        market = market_of_store(uow, store_id)
        if market is not None:
            return market
    markets = all_markets(uow)
    country = phone_country(phone)
    if country:
        for market in markets:
            if market.country == country:
                return market
    for market in markets:
        if market.id == default_market:
            return market
    return markets[0] if markets else None


def phone_country(phone: str | None) -> str | None:
    """'+6281234567890' -> 'ID'; None for anything that is not an E.164 number."""
    if not phone or not phone.startswith("+"):
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(phone)) or None
    except phonenumbers.NumberParseException:
        return None


def market_currency(uow: UnitOfWork, market_id: str | None) -> str:
    return str(uow.session.scalar(select(MarketRow.currency).where(MarketRow.id == market_id)) or "") if market_id else ""


def prices_in(uow: UnitOfWork, market_id: str | None, skus: Iterable[str]) -> dict[str, int]:
    """The market's own prices of these SKUs (SKUs without one sell at the variant's price)."""
    wanted = list(skus)
    if not market_id or not wanted:
        return {}
    rows = uow.session.execute(
        select(MarketPrice.sku, MarketPrice.price_minor).where(MarketPrice.market_id == market_id, MarketPrice.sku.in_(wanted))
    )
    return {sku: price for sku, price in rows}


@read_only
def market_prices(uow: UnitOfWork, market_id: str, skus: list[str]) -> dict[str, int]:
    """`prices_in` on its own unit of work: the market's prices of these SKUs."""
    return prices_in(uow, market_id, skus)


def product_price_ranges(uow: UnitOfWork) -> dict[str, dict[str, tuple[int, int, str]]]:
    """product id -> market id -> (lowest, highest, currency) at the market's prices, for the products the
    market prices in every variant (as `price_range` does: otherwise the variants' own prices stand)."""
    counts = dict(uow.session.execute(select(Variant.product_id, func.count()).group_by(Variant.product_id)).all())
    currencies = dict(uow.session.execute(select(MarketRow.id, MarketRow.currency)).all())
    ranges: dict[str, dict[str, tuple[int, int, str]]] = {}
    for market_id, product_id, low, high, priced in uow.session.execute(
        select(MarketPrice.market_id, Variant.product_id, func.min(MarketPrice.price_minor), func.max(MarketPrice.price_minor), func.count())
        .join(Variant, Variant.sku == MarketPrice.sku)
        .group_by(MarketPrice.market_id, Variant.product_id)
    ):
        if priced == counts.get(product_id) and market_id in currencies:
            ranges.setdefault(product_id, {})[market_id] = (low, high, currencies[market_id])
    return ranges
