"""Order dialogue actions with trackers built from dicts (sandbox payments, demo catalogue)."""

from __future__ import annotations

import re

from rasa_sdk.events import SlotSet

from actions.checkout import (
    ActionAddToCart,
    ActionAskCancelOrder,
    ActionOrderStatus,
    ActionPlaceOrder,
    ActionReviewOrder,
    ActionStartReservation,
    order_reference_in,
)
from bot.services.inventory import set_on_hand
from tests.actions.trackers import SENDER, dispatcher, tracker
from tests.support.domain import load_domain

FOUND = {"product": "FS-BOOT-TRB", "colour": "Brown", "size": "9", "store": "arndale"}


async def test_reserve_keeps_what_was_found_and_reads_the_quantity(catalog_shop) -> None:
    events = await ActionStartReservation().run(dispatcher(), tracker("reserve 2 of those", "reserve_item", FOUND), load_domain())
    assert events[-2:] == [SlotSet("stock_goal", "reserve"), SlotSet("quantity", 2.0)]
    assert not any(event["name"] == "product" for event in events)


async def _basket_with_boots(shop, quantity: float = 2.0) -> None:
    shop.run(set_on_hand, "arndale", "FS-BOOT-TRB-BRN-9", 5)
    said = dispatcher()
    events = await ActionAddToCart().run(said, tracker("", "reserve_item", {**FOUND, "quantity": quantity}), load_domain())
    assert events == []
    assert said.messages[0]["text"].startswith("Added. Your basket:\n2× Trailblazer")


async def test_add_review_and_pay_by_link(catalog_shop) -> None:
    await _basket_with_boots(catalog_shop)

    said = dispatcher()
    await ActionReviewOrder().run(said, tracker("checkout", "place_order", FOUND), load_domain())
    assert said.messages[0]["text"] == "Arndale has everything (£179.98). How would you like to pay?"
    assert [b["payload"] for b in said.messages[0]["buttons"]][0] == '/choose_payment{"payment_method":"link"}'

    said = dispatcher()
    entities = [{"entity": "payment_method", "value": "link"}]
    await ActionPlaceOrder().run(said, tracker("/choose_payment", "choose_payment", FOUND, entities=entities), load_domain())
    text = said.messages[0]["text"]
    assert re.match(r"Reserved! Order FS-[2-9A-Z]{6} at Arndale, £179\.98\. Pay here before .+: http://\S+/pay/\S+$", text), text


async def test_status_and_cancel_ask_about_the_shoppers_latest_order(catalog_shop) -> None:
    await _basket_with_boots(catalog_shop)
    placed = dispatcher()
    await ActionPlaceOrder().run(
        placed, tracker("", "choose_payment", FOUND, entities=[{"entity": "payment_method", "value": "at_pickup"}]), load_domain()
    )
    reference = re.search(r"FS-[2-9A-Z]{6}", placed.messages[0]["text"]).group(0)

    said = dispatcher()
    await ActionOrderStatus().run(said, tracker("where's my order", "order_status"), load_domain())
    assert said.messages[0]["text"].startswith(f"Order {reference} at Arndale is reserved and waiting for payment.")

    said = dispatcher()
    await ActionAskCancelOrder().run(said, tracker("cancel my order", "cancel_order"), load_domain())
    assert said.messages[0]["buttons"][0]["payload"] == f'/confirm_cancel{{"order_reference":"{reference}"}}'


async def test_an_unknown_order_is_not_found(catalog_shop) -> None:
    said = dispatcher()
    await ActionOrderStatus().run(said, tracker("status of FS-ABCDEF", "order_status"), load_domain())
    assert "can't find an order" in said.messages[0]["text"]


def test_order_references_are_read_in_any_case_and_spacing() -> None:
    assert order_reference_in(tracker("where is fs-7k2m9q?", "order_status")) == "FS-7K2M9Q"
    assert order_reference_in(tracker("order FS 7K2M9Q", "order_status")) == "FS-7K2M9Q"
    button = tracker("/confirm_cancel", "confirm_cancel", entities=[{"entity": "order_reference", "value": "FS-7K2M9Q"}])
    assert order_reference_in(button) == "FS-7K2M9Q"
    assert SENDER.startswith("web-")


async def test_an_order_from_another_chat_is_shown_after_the_texted_code(catalog_shop, monkeypatch) -> None:
    from sqlalchemy import select

    from actions.checkout import ActionVerifyOrderCode
    from bot.models import OutboundMessage
    from bot.payments.sandbox import SandboxProvider
    from bot.services.cart import add_to_cart
    from bot.services.checkout import check_out
    from bot.domain.orders import HoldPolicy

    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_SMS_FROM"):
        monkeypatch.delenv(name, raising=False)  # no credentials: the SMS goes to the outbox
    sms_chat = "sms:+447700900123"
    catalog_shop.run(set_on_hand, "arndale", "FS-BOOT-TRB-BRN-9", 5)
    catalog_shop.run(add_to_cart, sms_chat, "FS-BOOT-TRB-BRN-9", 1)
    provider = SandboxProvider("whsec_test", "http://shop.test")
    reference = catalog_shop.run(check_out, provider, sms_chat, "sms", "arndale", "link", HoldPolicy()).order.reference

    said = dispatcher()
    events = await ActionOrderStatus().run(said, tracker(f"status of {reference}", "order_status"), load_domain())
    assert events == [SlotSet("verifying_order", reference)]
    assert said.messages[0]["text"].startswith("To keep your order safe I've texted a 6-digit code to ")
    assert "+447700900123" not in said.messages[0]["text"]
    with catalog_shop.uow() as uow:
        texted = uow.session.scalars(select(OutboundMessage.body).where(OutboundMessage.recipient == "+447700900123")).one()
    code = re.search(r"\b(\d{6})\b", texted).group(1)

    wrong = dispatcher()
    slots = {"verifying_order": reference}
    await ActionVerifyOrderCode().run(wrong, tracker("000000" if code != "000000" else "111111", "give_code", slots), load_domain())
    assert "isn't right" in wrong.messages[0]["text"]

    right = dispatcher()
    events = await ActionVerifyOrderCode().run(right, tracker(f"the code is {code}", "give_code", slots), load_domain())
    assert events == [SlotSet("verifying_order", None)]
    assert right.messages[0]["text"].startswith(f"Thanks, that's verified. Order {reference} at Arndale")


async def test_change_quantity_and_remove_name_the_line_in_the_shoppers_words(catalog_shop) -> None:
    from actions.checkout import ActionChangeQuantity, ActionRemoveFromCart
    from bot.services.cart import add_to_cart

    catalog_shop.run(add_to_cart, SENDER, "FS-BOOT-TRB-BRN-9", 2)
    catalog_shop.run(add_to_cart, SENDER, "FS-FLC-KIN-NVY-M", 1)

    said = dispatcher()
    await ActionChangeQuantity().run(said, tracker("make the boots 3 instead", "change_quantity"), load_domain())
    assert said.messages[0]["text"].startswith("Updated. Your basket:\n3× Trailblazer")

    said = dispatcher()
    await ActionChangeQuantity().run(said, tracker("make it 40", "change_quantity"), load_domain())
    assert said.messages[0]["text"].startswith("Which item, and how many?")

    said = dispatcher()
    await ActionChangeQuantity().run(said, tracker("the fleece, 40 of them", "change_quantity"), load_domain())
    assert said.messages[0]["text"] == "I can reserve 1 to 20 of each item."

    said = dispatcher()
    await ActionRemoveFromCart().run(said, tracker("take the fleece out", "remove_item"), load_domain())
    assert said.messages[0]["text"].startswith("Removed. Your basket:\n3× Trailblazer")
    assert "Kinder" not in said.messages[0]["text"]
