"""Linking a web (or Messenger/Telegram) chat to the shopper's phone, so their basket and orders follow them.

Asks for the number (or takes it from the request), texts a code to it, and takes the code back. On SMS
and WhatsApp the chat already comes from the phone, so there is nothing to link.
"""

from __future__ import annotations

import re

import phonenumbers

from bot.languages import N_, _
from bot.conversation.reading import yes_or_no
from bot.conversation.state import Question
from bot.conversation.turn import Turn
from bot.ordering.cart import view_cart
from bot.identity.customers import DEFAULT_REGION, InvalidPhoneNumber
from bot.ordering.orders import orders_for_conversation
from bot.identity.one_time_codes import TooManyCodes
from bot.ordering.phone_link import LinkResult, confirm_phone_link, unlink_phone
from bot.orchestration.texted_codes import text_link_code

LINK_CODE = re.compile(r"\b(\d{6})\b")
ASK_PHONE = N_(
    "What's your mobile number? I'll text you a code to link this chat to it, so your basket and orders follow you. "
    '(Say "never mind" to skip.)'
)
ALREADY_PHONE = N_("You're already messaging from your phone, so your basket and orders are right here.")


def masked(phone: str) -> str:
    return f"••••{phone[-4:]}"


def phone_number_in(text: str) -> str | None:
    """The first phone number written in free text ("it's 07700 900123 thanks" -> "07700 900123")."""
    matches = phonenumbers.PhoneNumberMatcher(text, DEFAULT_REGION, leniency=phonenumbers.Leniency.POSSIBLE)
    match = next(iter(matches), None)
    return match.raw_string if match else None


async def start(turn: Turn) -> None:
    if turn.on_phone:
        turn.done()
        turn.say(ALREADY_PHONE)
        return
    number = phone_number_in(turn.text) if turn.text else None
    if number:
        await send_code(turn, number)
        return
    turn.ask(Question("link_phone", "phone", data={"subject": "linking your phone"}), ASK_PHONE)


async def send_code(turn: Turn, number: str) -> None:
    try:
        issued, sent = await text_link_code(turn.shop, turn.conversation_id, number)
    except InvalidPhoneNumber:
        turn.ask(Question("link_phone", "phone", data={"subject": "linking your phone"}), "That doesn't look like a phone number. Please type your mobile number, like 07700 900123.")
        return
    except TooManyCodes:
        turn.done()
        turn.say("I've sent too many codes lately. Please try again in an hour.")
        return
    if sent.status == "opted_out":
        turn.done()
        turn.say(
            _("{masked} has opted out of our texts, so I can't send a code. Text START to us from that phone, then ask me again.").format(masked=masked(issued.phone))
        )
        return
    turn.ask(
        Question("link_phone", "code", data={"phone": issued.phone, "subject": "linking your phone"}),
        _("I've texted a 6-digit code to {masked}. Type the 6-digit code from the text here.").format(masked=masked(issued.phone)),
    )


async def check_code(turn: Turn, question: Question) -> None:
    typed = LINK_CODE.search(turn.text)
    if typed is None:
        turn.ask(question, "The code is 6 digits. Please type it exactly as in the text message.")
        return
    result: LinkResult = await turn.shop.call(confirm_phone_link, turn.conversation_id, typed.group(1))
    if result.linked:
        turn.done(goal="linked")
        turn.say(await _linked_summary(turn, str(question.data.get("phone") or "")))
        return
    if result.status == "invalid":
        turn.ask(question, _("That code isn't right; {attempts_left} tries left.").format(attempts_left=result.attempts_left))
        return
    turn.done()
    turn.say('That code has expired. Say "link my phone" to get a new one.')


async def _linked_summary(turn: Turn, phone: str) -> str:
    orders = await turn.shop.call(orders_for_conversation, turn.conversation_id)
    basket = await turn.shop.call(view_cart, turn.conversation_id)
    found = [f"{len(orders)} order{'s' if len(orders) != 1 else ''}"] if orders else []
    if basket.item_count:
        found.append(_("{item_count} item{value} in your basket").format(item_count=basket.item_count, value='s' if basket.item_count != 1 else ''))
    linked = _("Done - this chat is linked to {masked}.").format(masked=masked(phone))
    if not found:
        return _("{linked} Orders you place by text, WhatsApp or here will all show up in each place.").format(linked=linked)
    return _('{linked} I can see {join} here now. Ask "where\'s my order?" or "show my basket".').format(linked=linked, join=' and '.join(found))


async def unlink(turn: Turn) -> None:
    if turn.on_phone:
        turn.say("This chat is your phone's own, so there's nothing to unlink. Text STOP if you want no more messages.")
    elif await turn.shop.call(unlink_phone, turn.conversation_id):
        turn.say("Done - this chat is no longer linked to your phone. Your basket and orders stay with your phone.")
    else:
        turn.say("This chat isn't linked to a phone.")


async def answer(turn: Turn, question: Question) -> bool:
    if yes_or_no(turn.text) is False or turn.heard.intent in ("deny", "goodbye"):
        turn.done()
        turn.say("OK, I won't link a phone. Anything else I can help with?")
        return True
    if question.about == "phone":
        number = phone_number_in(turn.text)
        if number is None:
            if turn.heard.intent not in (None, "inform", "nlu_fallback", "link_phone", "give_code"):
                return False
            number = turn.text
        await send_code(turn, number)
        return True
    if LINK_CODE.search(turn.text) or turn.heard.intent == "give_code":
        await check_code(turn, question)
        return True
    return False
