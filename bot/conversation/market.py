"""Which market a conversation is in, and that market's stores: what store lists and "where else has
it?" offer, so a Manchester shopper is never offered Jakarta and the other way round.
"""

from __future__ import annotations

from dataclasses import replace

from bot.conversation.turn import PHONE_CHANNELS, Turn
from bot.markets.rules import Market
from bot.catalog.stock_query import StoreRef
from bot.catalog.inventory import where_in_stock
from bot.markets.lookup import market_for
from bot.catalog.stores import list_stores
from bot.ordering.checkout_replies import format_cart
from bot.ordering.cart import CartView, priced_in
from bot.catalog.matching import price_range
from bot.markets.lookup import market_prices
from bot.catalog.search import ProductHit


async def market_of(turn: Turn) -> Market | None:
    """The store in focus's market, else the market of the shopper's phone number, else the default."""
    key = f"market:{turn.state.focus.store}"  # the focus may move to another store during the turn
    if key not in turn.facts:
        channel, _, address = turn.conversation_id.partition(":")
        phone = address.removeprefix("whatsapp:") if channel in PHONE_CHANNELS else None
        turn.facts[key] = await turn.shop.call(market_for, turn.state.focus.store, phone, turn.shop.settings.default_market)
    return turn.facts[key]


async def market_stores(turn: Turn) -> list[StoreRef]:
    """The stores of the conversation's market, by name (every store when there are no markets)."""
    market = await market_of(turn)
    return await turn.shop.call(list_stores, market.id if market else None)


async def market_stock(turn: Turn, product: str, colour: str | None, size: str | None) -> list[tuple[StoreRef, int]]:
    """`where_in_stock` within the conversation's market."""
    market = await market_of(turn)
    return await turn.shop.call(where_in_stock, product, colour, size, market.id if market else None)


async def cart_in_market(turn: Turn, cart: CartView) -> CartView:
    """The basket at the conversation's market prices (a Jakarta shopper's basket is in rupiah); unchanged
    when the market prices none of it, or when there are no markets."""
    market = await market_of(turn)
    if market is None or cart.is_empty or cart.currency == market.currency:
        return cart
    prices = await turn.shop.call(market_prices, market.id, [line.sku for line in cart.lines])
    return priced_in(cart, prices, market.currency)


async def cart_text(turn: Turn, cart: CartView) -> str:
    """The basket as a reply says it, in the conversation's market prices."""
    return format_cart(await cart_in_market(turn, cart))


async def hits_in_market(turn: Turn, hits: list[ProductHit]) -> list[ProductHit]:
    """Catalogue search hits at the conversation's market prices (the search index holds the variants' own)."""
    market = await market_of(turn)
    if market is None:
        return hits
    priced = []
    for hit in hits:
        if hit.currency != market.currency:
            low, high, currency = await turn.shop.call(price_range, hit.product_id, None, None, market.id)
            hit = replace(hit, price_min_minor=low, price_max_minor=high, currency=currency)
        priced.append(hit)
    return priced
