"""Reading which basket line and how many a shopper means, from their own words."""

from __future__ import annotations

import pytest

from bot.ordering.cart import CartLineView, CartView
from bot.ordering.checkout import line_meant, quantity_in

BOOTS = CartLineView("FS-BOOT-TRB-BRN-9", "Trailblazer Waterproof Hiking Boot", "Brown", "9", 2, 8999, 17998, "GBP")
FLEECE = CartLineView("FS-FLC-KIN-NVY-M", "Kinder Fleece Jacket", "Navy", "M", 1, 5999, 5999, "GBP")
BASKET = CartView("web-x", (BOOTS, FLEECE), 23997, "GBP", 3)


@pytest.mark.parametrize(
    ("words", "line"),
    [
        ("change the boots to 1", BOOTS),
        ("remove the trailblazers", BOOTS),
        ("take the fleece out", FLEECE),
        ("drop the jacket", FLEECE),
        ("the navy one", FLEECE),
        ("make it 3", None),
        ("remove it", None),
    ],
)
def test_the_line_meant(words: str, line: CartLineView | None) -> None:
    assert line_meant(BASKET, words) == line


def test_with_one_line_that_line_is_meant() -> None:
    assert line_meant(CartView("web-x", (BOOTS,), 17998, "GBP", 2), "remove it") == BOOTS


@pytest.mark.parametrize(
    ("words", "quantity"),
    [
        ("make it 3", 3),
        ("just two of the fleece", 2),
        ("i want 2 not 1", 2),
        ("can i get 3 instead of 2", 3),
        ("2, no wait, 4", 4),
        ("remove the boots", None),
    ],
)
def test_quantity_in(words: str, quantity: int | None) -> None:
    assert quantity_in(words) == quantity
