"""The shopper's orders: status, cancelling (confirmed with a typed "yes" as well as the button), a new pay
link, and proving an order placed elsewhere is theirs with a texted code."""

from __future__ import annotations

import re

from bot.languages import _
from bot.conversation.checkout import link_providers, refund_providers
from bot.conversation.heard import payload
from bot.conversation.reading import A_QUESTION, yes_or_no
from bot.conversation.state import Button, Question
from bot.conversation.turn import Turn
from bot.kernel.money import format_money
from bot.ordering.rules import (
    CANCELLABLE,
    REFERENCE_IN_TEXT,
    HoldPolicy,
    InvalidTransition,
    NotYourOrder,
    OrderError,
    OutOfStock,
    TooManyAttempts,
    VerificationExpired,
    VerificationFailed,
    normalise_reference,
)
from bot.payments.base import PaymentProviderError
from bot.ordering.checkout_replies import (
    format_cancelled,
    format_checked_out,
    format_order_status,
)
from bot.ordering.checkout import (
    cancel_for_shopper,
    find_shoppers_order,
    renew_payment_link,
)
from bot.ordering.order_access import confirm_order_verification
from bot.orchestration.texted_codes import text_order_code

_CHARGE_QUESTION = re.compile(r"\b(?:charged?|charges|cost|fee|pay anything|refund|money back|get my money)\b", re.I)
_UNDO = re.compile(r"\b(?:get it back|get them back|undo|un-?cancel|change my mind|reserve (?:it|them) again)\b", re.I)
_KEEP = re.compile(r"\bkeep\b|\bdon'?t cancel\b|\bnot cancel\b|\bleave it\b", re.I)
ONE_TIME_CODE = re.compile(r"\b(\d{6})\b")


def reference_in(turn: Turn) -> str | None:
    """An order reference the shopper typed ("fs-7k2m9q") or a button carried."""
    named = turn.heard.entity("order_reference")
    if named:
        return normalise_reference(named)
    found = REFERENCE_IN_TEXT.search(turn.text)
    return normalise_reference(f"FS-{found.group(1)}") if found else None


def _not_found(turn: Turn) -> str:
    hint = "" if turn.on_phone else " " + _('If you ordered by text or WhatsApp, say "link my phone".')
    return _("I can't find an order from you. Your order number looks like FS-7K2M9Q.{hint}").format(hint=hint)


async def _reference_at_named_store(turn: Turn) -> str | None:
    from bot.conversation.checkout import store_named
    from bot.ordering.orders import orders_for_conversation

    store_id = await store_named(turn)
    if store_id is None:
        return None
    mine = await turn.shop.call(orders_for_conversation, turn.conversation_id)
    return next((order.reference for order in mine if order.store_id == store_id and order.status in CANCELLABLE), None)


async def status(turn: Turn) -> None:
    try:
        order = await turn.shop.call(find_shoppers_order, turn.conversation_id, reference_in(turn))
    except NotYourOrder as other:
        await offer_code(turn, other)
        return
    if order is None:
        turn.say(_not_found(turn))
        return
    turn.say(format_order_status(order))


async def ask_cancel(turn: Turn) -> None:
    """Confirms which order first: cancelling releases the stock and refunds the money."""
    reference = reference_in(turn)
    if reference is None and turn.text:
        reference = await _reference_at_named_store(turn)  # "cancel the arndale order"
    try:
        order = await turn.shop.call(find_shoppers_order, turn.conversation_id, reference)
    except NotYourOrder as other:
        await offer_code(turn, other)
        return
    if order is None and reference is not None:
        mine = await turn.shop.call(find_shoppers_order, turn.conversation_id, None)
        if mine is not None and mine.status in CANCELLABLE:
            # "cancel fs-7k2m9q" with a mistyped reference: offer the order they do have.
            options = (
                Button("Yes, cancel order", payload("confirm_cancel", order_reference=mine.reference)),
                Button("No, keep it", payload("deny")),
            )
            question = Question("cancel", "confirm", options, data={"reference": mine.reference, "subject": f"cancelling {mine.reference}"})
            turn.ask(question, _("I can't find order {reference}. Your open order is {reference2} at {store_name} - cancel that one?").format(reference=reference, reference2=mine.reference, store_name=mine.store_name))
            return
    if order is None or order.status not in CANCELLABLE:
        turn.done(goal="cancel_missing")
        turn.say(_("I can't find an open order of yours to cancel.") if order is None or order.status != "collected"
                 else _("Order {reference} has been collected, so it can't be cancelled. Ask me about returns.").format(reference=order.reference))
        return
    options = (
        Button("Yes, cancel order", payload("confirm_cancel", order_reference=order.reference)),
        Button("No, keep it", payload("deny")),
    )
    question = Question("cancel", "confirm", options, data={"reference": order.reference, "subject": f"cancelling {order.reference}"})
    turn.ask(question, _("Cancel order {reference} at {store_name}? This releases the items and refunds any payment.").format(reference=order.reference, store_name=order.store_name))


async def cancel(turn: Turn, reference: str | None = None) -> None:
    reference = reference or reference_in(turn)
    if reference is None:
        await ask_cancel(turn)
        return
    turn.done(goal="cancel", reference=reference)
    try:
        result = await turn.shop.call(cancel_for_shopper, refund_providers(turn), turn.conversation_id, reference)
    except NotYourOrder as other:
        await offer_code(turn, other)
        return
    except InvalidTransition:
        turn.say(_("Order {reference} can't be cancelled any more (it has been collected).").format(reference=reference))
        return
    except PaymentProviderError:
        turn.say(_("Order {reference} is cancelled, but the refund didn't go through yet; our team will make sure it does.").format(reference=reference))
        return
    except OrderError:
        turn.say(_("I can't find order {reference}. Your order number looks like FS-7K2M9Q.").format(reference=reference))
        return
    turn.say(format_cancelled(reference, result.refunded, result.cancelled.already_cancelled))


async def new_link(turn: Turn) -> None:
    try:
        result = await turn.shop.call(
            renew_payment_link, link_providers(turn), turn.conversation_id, turn.heard.channel,
            HoldPolicy.from_settings(turn.shop.settings), None, turn.state.language,
        )
    except OutOfStock:
        turn.say("Sorry, those items have sold out at that store since. Ask me to check another store.")
        return
    except (OrderError, PaymentProviderError):
        result = None
    if result is None:
        turn.say("You have no order waiting for payment. Ask me about a product to reserve one.")
        return
    turn.say(format_checked_out(result))


async def offer_code(turn: Turn, other: NotYourOrder) -> None:
    """Another chat's order: text a code to the phone on the order so the shopper can prove it's theirs."""
    if not other.can_verify:
        turn.say(
            _("For your security I can only discuss {reference} in the chat it was placed from. Please ask there, or call us on {support_phone}.").format(reference=other.reference, support_phone=turn.shop.settings.support_phone)
        )
        return
    try:
        started = await text_order_code(turn.shop, other.reference, turn.conversation_id)
    except TooManyAttempts:
        turn.say("Too many codes were asked for that order. Please try again later.")
        return
    question = Question("verify_order", "code", data={"reference": other.reference})
    turn.ask(question, _("To keep your order safe I've texted a 6-digit code to {masked_phone}. Reply with the code.").format(masked_phone=started.masked_phone))


async def verify_code(turn: Turn, question: Question) -> None:
    reference = str(question.data["reference"])
    typed = ONE_TIME_CODE.search(turn.text)
    if typed is None:
        turn.ask(question, "The code is 6 digits. Please type it exactly as in the text message.")
        return
    try:
        order = await turn.shop.call(confirm_order_verification, reference, turn.conversation_id, typed.group(1))
    except VerificationFailed as wrong:
        turn.ask(question, _("That code isn't right; {attempts_left} tries left.").format(attempts_left=wrong.attempts_left))
        return
    except (VerificationExpired, TooManyAttempts):
        turn.done()
        turn.say(_("That code has expired. Ask about {reference} again for a new one.").format(reference=reference))
        return
    turn.done(goal="verified", reference=reference)
    turn.say(_("Thanks, that's verified. {status}").format(status=format_order_status(order)))


async def _what_cancelling_costs(turn: Turn, question: Question, reference: str) -> None:
    """"Will I be charged if I cancel?" while the cancellation waits to be confirmed."""
    try:
        order = await turn.shop.call(find_shoppers_order, turn.conversation_id, reference)
    except NotYourOrder:
        order = None
    if order is not None and order.paid_at is not None:
        lead = _("Cancelling is free: you'd get your {amount} back in full.").format(amount=format_money(order.total_minor, order.currency))
    else:
        lead = _("Cancelling is free: you haven't been charged for {reference}, so there's nothing to pay or refund.").format(reference=reference)
    turn.ask(question, _("{lead} Cancel order {reference}?").format(lead=lead, reference=reference), remember=str(question.data.get("text", "")))


async def answer(turn: Turn, question: Question) -> bool:
    if question.goal == "verify_order":
        if ONE_TIME_CODE.search(turn.text) or turn.heard.intent == "give_code":
            await verify_code(turn, question)
            return True
        return False
    if question.goal == "cancel":
        reference = str(question.data["reference"])
        said = yes_or_no(turn.text) if not turn.heard.tapped else None
        if said is None and _KEEP.search(turn.text) and not (A_QUESTION.match(turn.text) or "?" in turn.text):
            said = False  # "no wait keep it" (but "how long will you keep it?" is a question first)
        if said is None and not turn.heard.tapped and turn.heard.intent == "deny" and turn.heard.confidence >= 0.5:
            said = False  # "actually no", "hang on, no"
        if said is None and _UNDO.search(turn.text):
            turn.ask(question, _("If you cancel, the items go back on sale straight away; you can reserve it again later while it's in stock, but I can't hold them for you. Cancel order {reference}?").format(reference=reference),
                     remember=str(question.data.get("text", "")))
            return True
        if said is None and _CHARGE_QUESTION.search(turn.text):
            await _what_cancelling_costs(turn, question, reference)
            return True
        if turn.heard.intent == "confirm_cancel" and turn.heard.tapped or said is True:
            await cancel(turn, turn.heard.entity("order_reference") or reference)
            return True
        if turn.heard.intent == "deny" and turn.heard.tapped or said is False:
            turn.done()
            turn.say(_("OK, I've kept order {reference} as it is.").format(reference=reference))
            return True
    return False


async def after_cancelling(turn: Turn) -> None:
    """"Will I be charged?", "does the link still work?", "so I don't owe anything?" right after cancelling."""
    reference = str(turn.state.last.get("reference") or "")
    try:
        order = await turn.shop.call(find_shoppers_order, turn.conversation_id, reference) if reference else None
    except (NotYourOrder, LookupError):
        order = None
    turn.done(goal="cancel", reference=reference)
    if order is None:
        turn.say("You don't owe anything for a cancelled order.")
        return
    if order.paid_at is not None:
        turn.say(_("Order {reference} is cancelled and your {amount} is being refunded to the way you paid: it usually shows within 3-5 working days. There's nothing more to pay.").format(reference=order.reference, amount=format_money(order.total_minor, order.currency)))
        return
    link = " Its pay link no longer works, so nothing can be taken." if order.payment_method == "link" else ""
    turn.say(_("Order {reference} is cancelled and wasn't paid, so you haven't been charged and you owe nothing.{link}").format(reference=order.reference, link=link))


async def keep(turn: Turn) -> None:
    """"Keep the order": nothing to change; say which order stays."""
    order = await turn.shop.call(find_shoppers_order, turn.conversation_id, None)
    turn.done(goal="order_kept")
    if order is not None and order.status in CANCELLABLE:
        turn.say(_("Great: order {reference} at {store_name} stays reserved for you.").format(reference=order.reference, store_name=order.store_name))
    else:
        turn.say("OK, nothing changes. Anything else I can help with?")


async def already_cancelled(turn: Turn) -> None:
    """"Oh wait, don't cancel!" right after it was: it is done; offer to reserve the same again."""
    reference = str(turn.state.last.get("reference") or "")
    turn.done(goal="cancel_undone", reference=reference)
    turn.say(_('Order {reference} is already cancelled, so its items went back on sale. I can reserve the same again if they\'re still in stock: just say "reserve it again".').format(reference=reference))
