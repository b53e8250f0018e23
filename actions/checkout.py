"""Click-and-collect in the conversation: basket, reservation, payment choice, status, cancellation."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions._common import ANY_VALUE, button, latest_entity, latest_text, on_phone_channel, shop, store_from_entity
from actions.stock import stock_query_events
from bot.domain.orders import (
    HoldPolicy,
    InvalidQuantity,
    InvalidTransition,
    NotYourOrder,
    OrderError,
    OutOfStock,
    TooManyAttempts,
    VerificationExpired,
    VerificationFailed,
    normalise_reference,
)
from bot.payments import provider_factory
from bot.payments.base import PaymentProvider, PaymentProviderError
from bot.replies.checkout import (
    format_cancelled,
    format_cart,
    format_checked_out,
    format_item_added,
    format_order_status,
    format_review,
)
from bot.services.cart import MAX_LINE_QUANTITY, remove_from_cart, set_quantity, view_cart
from bot.services.catalog import parse_stock_query
from bot.services.texted_codes import text_order_code
from bot.services.orders import confirm_order_verification
from bot.services.checkout import (
    add_item,
    cancel_for_shopper,
    check_out,
    find_shoppers_order,
    line_meant,
    quantity_in,
    renew_payment_link,
    review_order,
)

ONE_TIME_CODE = re.compile(r"\b(\d{6})\b")
ORDER_REFERENCE = re.compile(r"\b(?:FS)[-\s]?([2-9A-HJ-NP-Z]{6})\b", re.IGNORECASE)
CANCELLABLE = ("pending_payment", "paid", "ready")


def _provider_lookup() -> Any:
    settings = shop().settings
    return provider_factory(settings)


def _payment_provider() -> PaymentProvider:
    return _provider_lookup()(shop().settings.payment_provider)


def _hold_policy() -> HoldPolicy:
    return HoldPolicy.from_settings(shop().settings)


def _channel(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "webchat"


def order_reference_in(tracker: Tracker) -> str | None:
    """An order reference the shopper typed ("fs-7k2m9q") or a button carried."""
    named = latest_entity(tracker, "order_reference")
    if named:
        return normalise_reference(str(named))
    found = ORDER_REFERENCE.search(latest_text(tracker))
    return normalise_reference(f"FS-{found.group(1)}") if found else None


class ActionStartReservation(Action):
    """"Reserve 2 of those": the stock form then makes sure product, colour, size and store are known."""

    def name(self) -> str:
        return "action_start_reservation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        query = await shop().call(parse_stock_query, text)
        events = await stock_query_events(query, tracker, text, keep_product_by_default=True)
        store_id = await store_from_entity(tracker)
        if store_id:
            events.append(SlotSet("store", store_id))
        return events + [SlotSet("stock_goal", "reserve"), SlotSet("quantity", float(query.quantity or 1))]


class ActionAddToCart(Action):
    def name(self) -> str:
        return "action_add_to_cart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        colour, size = (None if v in (None, ANY_VALUE) else v for v in (tracker.get_slot("colour"), tracker.get_slot("size")))
        quantity = int(tracker.get_slot("quantity") or 1)
        result = await shop().call(
            add_item, tracker.sender_id, tracker.get_slot("product"), tracker.get_slot("store"), colour, size, quantity
        )
        buttons = [button("Reserve now", "/place_order"), button("View basket", "/view_cart")] if result.added else []
        dispatcher.utter_message(text=format_item_added(result), buttons=buttons)
        return []


class ActionViewCart(Action):
    def name(self) -> str:
        return "action_view_cart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        cart = await shop().call(view_cart, tracker.sender_id)
        buttons = [] if cart.is_empty else [button("Reserve now", "/place_order")]
        dispatcher.utter_message(text=format_cart(cart), buttons=buttons)
        return []


class ActionRemoveFromCart(Action):
    def name(self) -> str:
        return "action_remove_from_cart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        cart = await shop().call(view_cart, tracker.sender_id)
        line = line_meant(cart, latest_text(tracker))
        if line is None:
            dispatcher.utter_message(text="Which item should I remove? " + format_cart(cart))
            return []
        cart = await shop().call(remove_from_cart, tracker.sender_id, line.sku)
        dispatcher.utter_message(text=f"Removed. {format_cart(cart)}")
        return []


class ActionChangeQuantity(Action):
    def name(self) -> str:
        return "action_change_quantity"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        cart = await shop().call(view_cart, tracker.sender_id)
        text = latest_text(tracker)
        line, quantity = line_meant(cart, text), quantity_in(text)
        if cart.is_empty:
            dispatcher.utter_message(text=format_cart(cart))
            return []
        if line is None or quantity is None:
            dispatcher.utter_message(text='Which item, and how many? For example "2 of the boots". ' + format_cart(cart))
            return []
        try:
            cart = await shop().call(set_quantity, tracker.sender_id, line.sku, quantity)
        except InvalidQuantity:
            dispatcher.utter_message(text=f"I can reserve 1 to {MAX_LINE_QUANTITY} of each item.")
            return []
        dispatcher.utter_message(text=f"Updated. {format_cart(cart)}", buttons=[button("Reserve now", "/place_order")])
        return []


class ActionReviewOrder(Action):
    """Before reserving: can the chosen store supply everything, and how will the shopper pay?"""

    def name(self) -> str:
        return "action_review_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        store_id = await store_from_entity(tracker) or tracker.get_slot("store")
        review = await shop().call(review_order, tracker.sender_id, store_id)
        if review.cart.is_empty:
            dispatcher.utter_message(text=format_cart(review.cart))
            return []
        if store_id is None:
            store_id = review.store_with_everything.store_id if review.store_with_everything else None
        store_name = review.here.store_name if review.here else "That store"
        buttons: list[dict[str, str]] = []
        if review.here is not None and review.here.has_everything:
            buttons.append(button("Pay now by link", '/choose_payment{"payment_method":"link"}'))
            if review.here.pay_at_pickup:
                buttons.append(button("Pay at pickup", '/choose_payment{"payment_method":"at_pickup"}'))
        elif review.store_with_everything is not None:
            other = review.store_with_everything
            buttons.append(button(f"Reserve at {other.store_name}", f'/choose_store{{"store":"{other.store_id}"}}'))
        dispatcher.utter_message(text=format_review(review, store_name), buttons=buttons)
        return [SlotSet("store", store_id)] if store_id else []


class ActionPlaceOrder(Action):
    def name(self) -> str:
        return "action_place_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        method = latest_entity(tracker, "payment_method") or "link"
        store_id = tracker.get_slot("store")
        if not store_id:
            dispatcher.utter_message(text="Which store should I reserve it at?")
            return []
        try:
            result = await shop().call(
                check_out, _payment_provider(), tracker.sender_id, _channel(tracker), store_id, str(method), _hold_policy()
            )
        except OutOfStock:
            dispatcher.utter_message(text="Sorry, someone just reserved the last one. Ask me to check another store.")
            return []
        except PaymentProviderError:
            dispatcher.utter_message(text="Your items are reserved, but I couldn't make a pay link just now. Say \"new link\" in a minute.")
            return []
        except OrderError as error:
            dispatcher.utter_message(text=f"Sorry, I couldn't reserve that: {error}")
            return []
        dispatcher.utter_message(text=format_checked_out(result))
        return []


class ActionNewPaymentLink(Action):
    def name(self) -> str:
        return "action_new_payment_link"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            result = await shop().call(
                renew_payment_link, _payment_provider(), tracker.sender_id, _channel(tracker), _hold_policy()
            )
        except OutOfStock:
            dispatcher.utter_message(text="Sorry, those items have sold out at that store since. Ask me to check another store.")
            return []
        except (OrderError, PaymentProviderError):
            result = None
        if result is None:
            dispatcher.utter_message(text="You have no order waiting for payment. Ask me about a product to reserve one.")
            return []
        dispatcher.utter_message(text=format_checked_out(result))
        return []


class ActionOrderStatus(Action):
    def name(self) -> str:
        return "action_order_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reference = order_reference_in(tracker)
        try:
            order = await shop().call(find_shoppers_order, tracker.sender_id, reference)
        except NotYourOrder as other:
            return await offer_order_code(dispatcher, tracker, other)
        if order is None:
            hint = "" if on_phone_channel(tracker) else ' If you ordered by text or WhatsApp, say "link my phone".'
            dispatcher.utter_message(text=f"I can't find an order from you. Your order number looks like FS-7K2M9Q.{hint}")
            return []
        dispatcher.utter_message(text=format_order_status(order))
        return []


class ActionAskCancelOrder(Action):
    """Confirms which order before cancelling: a cancellation releases stock and refunds money."""

    def name(self) -> str:
        return "action_ask_cancel_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reference = order_reference_in(tracker)
        try:
            order = await shop().call(find_shoppers_order, tracker.sender_id, reference)
        except NotYourOrder:
            order = None
        if order is None or order.status not in CANCELLABLE:
            dispatcher.utter_message(text="I can't find an open order of yours to cancel.")
            return []
        dispatcher.utter_message(
            text=f"Cancel order {order.reference} at {order.store_name}?",
            buttons=[
                button("Yes, cancel order", f'/confirm_cancel{{"order_reference":"{order.reference}"}}'),
                button("No, keep it", "/deny"),
            ],
        )
        return []


class ActionCancelOrder(Action):
    def name(self) -> str:
        return "action_cancel_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reference = order_reference_in(tracker)
        if reference is None:
            dispatcher.utter_message(text="Which order? Your order number looks like FS-7K2M9Q.")
            return []
        try:
            result = await shop().call(cancel_for_shopper, _provider_lookup(), tracker.sender_id, reference)
        except NotYourOrder as other:
            return await offer_order_code(dispatcher, tracker, other)
        except InvalidTransition:
            dispatcher.utter_message(text=f"Order {reference} can't be cancelled any more (it has been collected).")
            return []
        except PaymentProviderError:
            dispatcher.utter_message(
                text=f"Order {reference} is cancelled, but the refund didn't go through yet; our team will make sure it does."
            )
            return []
        dispatcher.utter_message(text=format_cancelled(reference, result.refunded, result.cancelled.already_cancelled))
        return []


async def offer_order_code(dispatcher: CollectingDispatcher, tracker: Tracker, other: NotYourOrder) -> list[EventType]:
    """Another chat's order: text a code to the phone on the order so the shopper can prove it's theirs."""
    if not other.can_verify:
        dispatcher.utter_message(
            text=f"For your security I can only discuss {other.reference} in the chat it was placed from. "
            f"Please ask there, or call us on {shop().settings.support_phone}."
        )
        return []
    try:
        started = await text_order_code(shop(), other.reference, tracker.sender_id)
    except TooManyAttempts:
        dispatcher.utter_message(text="Too many codes were asked for that order. Please try again later.")
        return []
    dispatcher.utter_message(
        text=f"To keep your order safe I've texted a 6-digit code to {started.masked_phone}. Reply with the code."
    )
    return [SlotSet("verifying_order", other.reference)]


class ActionVerifyOrderCode(Action):
    def name(self) -> str:
        return "action_verify_order_code"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reference = tracker.get_slot("verifying_order")
        typed = ONE_TIME_CODE.search(latest_text(tracker))
        if not reference:
            dispatcher.utter_message(text="I wasn't expecting a code. Tell me your order number (like FS-7K2M9Q) first.")
            return []
        if typed is None:
            dispatcher.utter_message(text="The code is 6 digits. Please type it exactly as in the text message.")
            return []
        try:
            order = await shop().call(confirm_order_verification, reference, tracker.sender_id, typed.group(1))
        except VerificationFailed as wrong:
            dispatcher.utter_message(text=f"That code isn't right; {wrong.attempts_left} tries left.")
            return []
        except (VerificationExpired, TooManyAttempts):
            dispatcher.utter_message(text=f"That code has expired. Ask about {reference} again for a new one.")
            return [SlotSet("verifying_order", None)]
        dispatcher.utter_message(text=f"Thanks, that's verified. {format_order_status(order)}")
        return [SlotSet("verifying_order", None)]
