"""Replies about products and stock: "Yes! Arndale has 3 ...", "Sorry, ... Nearest with it: ..."."""

from __future__ import annotations

from typing import Sequence

from bot.kernel.money import format_price_range
from bot.languages import _
from bot.languages.wording import colour_word, distance_text, human_list
from bot.catalog.shopper_text import ONE_SIZE
from bot.catalog.stock_query import ProductOptions
from bot.catalog.inventory import NearbyStock, StockAnswer

LOW_STOCK = 2


def size_label(size: str) -> str:
    """How a size reads in a message: "9" -> "UK 9", "32" -> "W32", "One Size" -> "one size", "M" -> "M"."""
    try:
        number = float(size)
    except ValueError:
        return _("one size") if size == ONE_SIZE else size
    return f"W{size}" if number >= 24 else f"UK {size}"


def option_words(colour: str | None, size: str | None) -> str:
    """"brown, UK 9" / "navy" / "UK 9" / "" for whatever was asked."""
    parts = [colour_word(colour) if colour else None, size_label(size) if size and size != ONE_SIZE else None]
    return ", ".join(part for part in parts if part)


def format_stock_answer(answer: StockAnswer, locale: str | None = None) -> str:
    """The answer to "have you got X at Y?" in one or two sentences.

    Args:
        answer: From `bot.catalog.inventory.check_stock`.
        locale: For the price format.

    Returns:
        Text such as "Yes! Arndale has 3 Trailblazer Waterproof Hiking Boot in brown, UK 9 (£89.99)."
    """
    options = option_words(answer.colour, answer.size)
    item = _("{product} in {options}").format(product=answer.product_name, options=options) if options else answer.product_name
    price = format_price_range(answer.price_minor, answer.price_max_minor, answer.currency, locale)
    store = answer.store.name
    if answer.in_stock:
        if answer.available_here <= LOW_STOCK:
            text = _("Yes, but only {count} left at {store}: {item} ({price}).")
        elif answer.sku is None:  # several variants summed: name the product, then the count
            text = _("Yes! {store} has the {item} ({price}), {count} in stock.")
        else:
            text = _("Yes! {store} has {count} {item} ({price}).")
        text = text.format(count=answer.available_here, store=store, item=item, price=price)
        return text + _in_stock_choices(answer)
    if answer.available_here > 0:
        text = _("{store} only has {count} {item} (you asked for {asked}, {price} each).").format(
            store=store, count=answer.available_here, item=item, asked=answer.quantity, price=price)
    else:
        text = _("Sorry, {store} is out of the {item} ({price}).").format(store=store, item=item, price=price)
    return text + " " + format_nearby(answer.nearby)


def format_nearby(nearby: Sequence[NearbyStock]) -> str:
    """"Didsbury has 2 in stock, 4.1 km away; Stockport has 5 in stock, 9.8 km away. Reserve at Didsbury?"

    Each store says what its number is: "Didsbury has 2 (7.4 km)" left shoppers guessing what 2 meant.
    """
    if not nearby:
        return _("No other store has it right now either.")
    parts = [_("{store} has {count} in stock, {distance} away").format(store=entry.store.name, count=entry.available,
                                                                      distance=distance_text(entry.distance_km)) for entry in nearby]
    return _("{stores}. Reserve at {store}?").format(stores="; ".join(parts), store=nearby[0].store.name)


def _in_stock_choices(answer: StockAnswer) -> str:
    """When the shopper left colour or size open, say which ones this store has."""
    parts = []
    if answer.colour is None and len(answer.colours_in_stock) > 1:
        parts.append(_("Colours: {colours}.").format(colours=human_list([colour_word(colour) for colour in answer.colours_in_stock])))
    sizes = [size for size in answer.sizes_in_stock if size != ONE_SIZE]
    if answer.size is None and sizes:
        parts.append(_("Sizes in stock: {sizes}.").format(sizes=", ".join(size_label(size) for size in sizes)))
    return "".join(" " + part for part in parts)


def format_product_options(options: ProductOptions, locale: str | None = None) -> str:
    """"Kinder Fleece Jacket comes in navy, grey or burgundy, sizes XS to XXL (£59.99–£64.99)."."""
    price = format_price_range(options.price_min_minor, options.price_max_minor, options.currency, locale)
    parts = []
    if len(options.colours) == 1:
        parts.append(_("{colour} only").format(colour=colour_word(options.colours[0])))  # "do they come in anything other than black?": no
    elif options.colours:
        parts.append(human_list([colour_word(colour) for colour in options.colours], "or"))
    sizes = [size for size in options.sizes if size != ONE_SIZE]
    if len(sizes) > 4 and not all("-" in size for size in sizes):  # children's ages are few: all of them
        parts.append(_("sizes {first} to {last}").format(first=size_label(sizes[0]), last=size_label(sizes[-1])))
    elif sizes:
        parts.append(_("sizes {sizes}").format(sizes=human_list([size_label(size) for size in sizes], "or")))
    if not parts:
        return f"{options.name} ({price})."
    return _("{product} comes in {options} ({price}).").format(product=options.name, options=", ".join(parts), price=price)


