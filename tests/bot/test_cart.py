"""The cart: lines per conversation, prices in minor units, and which store can supply it."""

from __future__ import annotations

import pytest

from bot.ordering.rules import InvalidQuantity, MixedCurrencies, NotInCart, UnknownSku
from bot.ordering import cart
from tests.bot.factories import add_variant, seed_small_shop, set_stock


def test_add_merges_lines_and_prices_in_minor_units(shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(cart.add_to_cart, "c1", ids.jacket, 1)
    shop.run(cart.add_to_cart, "c1", ids.fleece, 2)
    view = shop.run(cart.add_to_cart, "c1", ids.jacket, 2)

    assert [(line.sku, line.quantity, line.unit_price_minor, line.line_total_minor) for line in view.lines] == [
        (ids.jacket, 3, 8999, 26997),
        (ids.fleece, 2, 4550, 9100),
    ]
    assert (view.lines[0].name, view.lines[0].colour, view.lines[0].size) == ("Trail Jacket", "Navy", "M")
    assert view.total_minor == 36097
    assert view.currency == "GBP"
    assert view.item_count == 5


def test_carts_are_per_conversation(shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(cart.add_to_cart, "c1", ids.jacket, 1)
    other = shop.run(cart.view_cart, "c2")
    assert other.is_empty and other.total_minor == 0 and other.currency is None


def test_set_quantity_replaces_and_zero_removes(shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(cart.add_to_cart, "c1", ids.jacket, 3)
    assert shop.run(cart.set_quantity, "c1", ids.jacket, 1).lines[0].quantity == 1
    assert shop.run(cart.set_quantity, "c1", ids.fleece, 2).item_count == 3
    assert shop.run(cart.set_quantity, "c1", ids.jacket, 0).item_count == 2


def test_remove_and_clear(shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(cart.add_to_cart, "c1", ids.jacket, 1)
    shop.run(cart.add_to_cart, "c1", ids.boots, 1)
    assert [line.sku for line in shop.run(cart.remove_from_cart, "c1", ids.jacket).lines] == [ids.boots]
    with pytest.raises(NotInCart):
        shop.run(cart.remove_from_cart, "c1", ids.jacket)
    assert shop.run(cart.clear_cart, "c1") == 1
    assert shop.run(cart.view_cart, "c1").is_empty


@pytest.mark.parametrize("quantity", [0, -1, 21, 2.5, True, "2"])
def test_bad_quantities_are_refused(shop, quantity) -> None:
    ids = seed_small_shop(shop)
    with pytest.raises(InvalidQuantity):
        shop.run(cart.add_to_cart, "c1", ids.jacket, quantity)
    assert shop.run(cart.view_cart, "c1").is_empty


def test_a_line_cannot_grow_past_the_maximum(shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(cart.add_to_cart, "c1", ids.jacket, 15)
    with pytest.raises(InvalidQuantity):
        shop.run(cart.add_to_cart, "c1", ids.jacket, 6)
    assert shop.run(cart.view_cart, "c1").item_count == 15


def test_unknown_sku(shop) -> None:
    seed_small_shop(shop)
    with pytest.raises(UnknownSku) as caught:
        shop.run(cart.add_to_cart, "c1", "NOPE", 1)
    assert caught.value.sku == "NOPE"


def test_mixed_currencies_are_reported(shop) -> None:
    ids = seed_small_shop(shop)
    add_variant(shop, "EUR-1", price_minor=1000, currency="EUR")
    shop.run(cart.add_to_cart, "c1", ids.jacket, 1)
    with pytest.raises(MixedCurrencies):
        shop.run(cart.add_to_cart, "c1", "EUR-1", 1)
    assert [line.sku for line in shop.run(cart.view_cart, "c1").lines] == [ids.jacket]


def test_store_coverage_uses_sku_buffer_over_store_buffer(shop) -> None:
    ids = seed_small_shop(shop)
    shop.run(cart.add_to_cart, "c1", ids.jacket, 2)
    shop.run(cart.add_to_cart, "c1", ids.fleece, 1)
    shop.run(cart.add_to_cart, "c1", ids.boots, 1)

    coverage = shop.run(cart.store_coverage, "c1")

    assert [c.store_id for c in coverage] == [ids.leeds, ids.york]
    leeds, york = coverage
    assert leeds.has_everything and leeds.pay_at_pickup
    assert {line.sku: line.available for line in leeds.lines} == {ids.jacket: 4, ids.fleece: 10, ids.boots: 2}
    assert not york.has_everything and not york.pay_at_pickup
    assert {line.sku: line.available for line in york.lines} == {ids.jacket: 2, ids.fleece: 0, ids.boots: 0}
    assert york.skus_in_stock == (ids.jacket,)


def test_store_coverage_when_no_store_has_everything(shop) -> None:
    ids = seed_small_shop(shop)
    set_stock(shop, ids.leeds, ids.jacket, on_hand=2)  # buffer 1 -> 1 available, 2 wanted
    shop.run(cart.add_to_cart, "c1", ids.jacket, 2)
    shop.run(cart.add_to_cart, "c1", ids.boots, 1)
    coverage = shop.run(cart.store_coverage, "c1")
    assert not any(c.has_everything for c in coverage)
    by_store = {c.store_id: c for c in coverage}
    assert by_store[ids.leeds].skus_in_stock == (ids.boots,)
    assert by_store[ids.york].skus_in_stock == (ids.jacket,)


def test_store_coverage_of_an_empty_cart_is_empty(shop) -> None:
    seed_small_shop(shop)
    assert shop.run(cart.store_coverage, "c1") == []
