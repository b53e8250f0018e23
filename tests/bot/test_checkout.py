"""The order dialogue's use cases against the demo catalogue and the sandbox payment provider."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.ordering.rules import HoldPolicy, NotYourOrder, OutOfStock
from bot.payments.sandbox import SandboxProvider
from bot.ordering.checkout import (
    add_item,
    cancel_for_shopper,
    check_out,
    find_shoppers_order,
    renew_payment_link,
    review_order,
)
from bot.catalog.inventory import set_on_hand, stock_level
from bot.ordering.hold_expiry import expire_due_holds
from bot.ordering.pay_links import handle_payment_event

WEB = "web-00000000-0000-4000-8000-00000000000a"
OTHER = "web-00000000-0000-4000-8000-00000000000b"
BOOTS, SKU = "FS-BOOT-TRB", "FS-BOOT-TRB-BRN-9"
POLICY = HoldPolicy(unpaid_minutes=120, paid_hours=72)


@pytest.fixture
def provider(catalog_shop) -> SandboxProvider:
    return SandboxProvider(catalog_shop.settings.sandbox_webhook_secret, "http://shop.test")


def test_add_item_needs_one_variant_and_enough_stock_here(catalog_shop) -> None:
    catalog_shop.run(set_on_hand, "arndale", SKU, 3)
    vague = catalog_shop.run(add_item, WEB, BOOTS, "arndale", "Brown", None, 1)
    assert not vague.added and vague.stock.sku is None

    too_many = catalog_shop.run(add_item, WEB, BOOTS, "arndale", "Brown", "9", 50)
    assert not too_many.added and too_many.stock.sku == SKU

    added = catalog_shop.run(add_item, WEB, BOOTS, "arndale", "Brown", "9", 2)
    assert added.added and [(line.sku, line.quantity) for line in added.cart.lines] == [(SKU, 2)]
    assert added.cart.total_minor == 2 * 8999
    # A basket holds nothing yet: stock is only reserved when the order is placed.
    assert catalog_shop.run(stock_level, "arndale", SKU).reserved == 0


def test_review_names_the_store_that_has_everything(catalog_shop) -> None:
    catalog_shop.run(set_on_hand, "arndale", SKU, 5)
    catalog_shop.run(add_item, WEB, BOOTS, "arndale", "Brown", "9", 2)
    catalog_shop.run(set_on_hand, "arndale", SKU, 0)
    catalog_shop.run(set_on_hand, "didsbury", SKU, 9)
    review = catalog_shop.run(review_order, WEB, "arndale")
    assert review.here is not None and not review.here.has_everything
    assert review.store_with_everything is not None and review.store_with_everything.has_everything


def test_check_out_by_link_reserves_at_once_and_returns_the_pay_link(catalog_shop, provider) -> None:
    catalog_shop.run(set_on_hand, "arndale", SKU, 5)
    catalog_shop.run(add_item, WEB, BOOTS, "arndale", "Brown", "9", 2)
    before = catalog_shop.run(stock_level, "arndale", SKU)
    result = catalog_shop.run(check_out, provider, WEB, "webchat", "arndale", "link", POLICY)
    assert result.order.status == "pending_payment" and result.order.total_minor == 2 * 8999
    assert result.link is not None and result.link.url.startswith("http://shop.test/pay/")
    assert catalog_shop.run(stock_level, "arndale", SKU).reserved == before.reserved + 2
    assert catalog_shop.run(review_order, WEB, "arndale").cart.is_empty


def test_pay_at_pickup_gives_the_code_and_no_link(catalog_shop, provider) -> None:
    catalog_shop.run(set_on_hand, "didsbury", SKU, 5)
    catalog_shop.run(add_item, WEB, BOOTS, "didsbury", "Brown", "9", 1)
    result = catalog_shop.run(check_out, provider, WEB, "webchat", "didsbury", "at_pickup", POLICY)
    assert result.link is None and len(result.order.pickup_code) == 6


def test_checkout_refuses_when_the_last_unit_went_meanwhile(catalog_shop, provider) -> None:
    catalog_shop.run(set_on_hand, "arndale", SKU, 3)
    catalog_shop.run(add_item, WEB, BOOTS, "arndale", "Brown", "9", 1)
    catalog_shop.run(set_on_hand, "arndale", SKU, 0)
    with pytest.raises(OutOfStock):
        catalog_shop.run(check_out, provider, WEB, "webchat", "arndale", "link", POLICY)


def test_renewing_a_link_reuses_an_open_one_and_re_reserves_an_expired_order(catalog_shop, provider) -> None:
    catalog_shop.run(set_on_hand, "arndale", SKU, 5)
    catalog_shop.run(add_item, WEB, BOOTS, "arndale", "Brown", "9", 1)
    first = catalog_shop.run(check_out, provider, WEB, "webchat", "arndale", "link", POLICY)
    same = catalog_shop.run(renew_payment_link, provider, WEB, "webchat", POLICY)
    assert same.order.reference == first.order.reference and same.link.url == first.link.url

    later = datetime.now(timezone.utc) + timedelta(minutes=121)
    assert [o.reference for o in catalog_shop.run(expire_due_holds, later)] == [first.order.reference]
    renewed = catalog_shop.run(renew_payment_link, provider, WEB, "webchat", POLICY, later)
    assert renewed.order.reference != first.order.reference
    assert renewed.order.status == "pending_payment" and renewed.link is not None


def test_only_the_conversation_that_ordered_sees_or_cancels_it(catalog_shop, provider) -> None:
    catalog_shop.run(set_on_hand, "arndale", SKU, 5)
    catalog_shop.run(add_item, WEB, BOOTS, "arndale", "Brown", "9", 1)
    order = catalog_shop.run(check_out, provider, WEB, "webchat", "arndale", "link", POLICY).order
    with pytest.raises(NotYourOrder):
        catalog_shop.run(find_shoppers_order, OTHER, order.reference)
    with pytest.raises(NotYourOrder):
        catalog_shop.run(cancel_for_shopper, lambda name: provider, OTHER, order.reference)
    assert catalog_shop.run(find_shoppers_order, WEB, None).reference == order.reference


def test_cancelling_a_paid_order_releases_stock_and_refunds(catalog_shop, provider) -> None:
    catalog_shop.run(set_on_hand, "arndale", SKU, 5)
    catalog_shop.run(add_item, WEB, BOOTS, "arndale", "Brown", "9", 2)
    placed = catalog_shop.run(check_out, provider, WEB, "webchat", "arndale", "link", POLICY)
    body, headers = provider.checkout_event(
        "checkout.session.completed", placed.link.provider_ref, placed.order.reference, placed.order.total_minor, "GBP", "4242"
    )
    outcome = catalog_shop.run(handle_payment_event, provider.parse_webhook(body, headers), POLICY)
    assert outcome.order_status == "paid"

    result = catalog_shop.run(cancel_for_shopper, lambda name: provider, WEB, placed.order.reference)
    assert result.refunded and result.cancelled.previous_status == "paid"
    assert catalog_shop.run(stock_level, "arndale", SKU).reserved == 0
