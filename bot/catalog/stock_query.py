"""What reading a shopper's words returns: the stock question, matched products and stores, their options, and the
lookup errors."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StoreRef:
    """A store as replies need it: its id and the short name shoppers know it by."""

    store_id: str
    name: str


@dataclass(frozen=True)
class ProductMatch:
    """A candidate product for some text; `score` runs from 0 to 100."""

    product_id: str
    name: str
    score: float


@dataclass(frozen=True)
class ProductOptions:
    """What a product comes in, and its price range in minor units."""

    product_id: str
    name: str
    brand: str
    category: str
    colours: list[str]
    sizes: list[str]
    price_min_minor: int
    price_max_minor: int
    currency: str
    description: str = ""


@dataclass(frozen=True)
class StockQuery:
    """Whatever a shopper's message names; every field is None when the text does not say.

    `product_name` is the catalogue name when one product was identified, otherwise the shopper's
    own product words ("boots") so the caller can offer `match_products` choices.
    `colour` and `size` are catalogue spellings ("Grey", "9.5", "M").
    """

    product_id: str | None = None
    product_name: str | None = None
    colour: str | None = None
    size: str | None = None
    store_id: str | None = None
    store_name: str | None = None
    quantity: int | None = None
    sku: str | None = None
    # How many of the message's words fit the product named (1: one shared word); not part of what was said.
    matched_words: int = field(default=0, compare=False)


class CatalogLookupError(LookupError):
    """Something named by id that the catalogue does not have; the message says what."""


class UnknownProduct(CatalogLookupError):
    pass


class UnknownStore(CatalogLookupError):
    """No store has this id: the one error for it, raised by the catalogue, ordering and store access alike."""

    def __init__(self, store_id: str) -> None:
        super().__init__(f"no store with id {store_id!r}")
        self.store_id = store_id


class UnknownVariant(CatalogLookupError):
    pass


class UnknownOption(CatalogLookupError):
    """A colour or size the product does not come in."""


# --- vocabulary -----------------------------------------------------------------------------------
