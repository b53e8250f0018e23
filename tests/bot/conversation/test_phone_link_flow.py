"""Linking a chat to the shopper's phone through the engine: the code goes out by SMS (outbox) and comes back."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.kernel.models import OutboundMessage
from bot.identity import customers as identity
from bot.ordering.cart import add_to_cart
from bot.messaging.channel_rules import opt_out
from bot.ordering.phone_link import LINK_CODES_PER_HOUR
from bot.kernel.shop import Shop
from tests.bot.conversation.chat import SMS, WEB, Chat

PHONE = "+447700900123"


def texted(shop: Shop) -> str:
    with shop.uow() as uow:
        return uow.session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.recipient == PHONE).order_by(OutboundMessage.id.desc())
        ).first()


async def test_a_web_shopper_links_their_phone_and_sees_their_text_basket(catalog_shop: Shop) -> None:
    catalog_shop.run(identity.record_inbound_identity, "sms", PHONE)
    catalog_shop.run(add_to_cart, SMS, "FS-BOOT-TRB-BRN-9", 1)
    chat = Chat(catalog_shop)
    asked = await chat.say("can you link my phone", "link_phone")
    assert asked.startswith("What's your mobile number?")
    sent = await chat.say("it's 07700 900123")
    assert sent.startswith("I've texted a 6-digit code to ••••0123.")
    code = re.search(r"\b(\d{6})\b", texted(catalog_shop)).group(1)
    wrong = await chat.say("000000" if code != "000000" else "111111", "give_code")
    assert wrong == "That code isn't right; 4 tries left."
    linked = await chat.say(f"its {code}", "give_code")
    assert linked.startswith("Done - this chat is linked to ••••0123. I can see 1 item in your basket here now.")
    with catalog_shop.uow() as uow:
        assert identity.customer_of_conversation(uow.session, WEB) is not None


async def test_never_mind_ends_it_and_a_non_number_is_asked_again(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    await chat.say("link my phone", "link_phone")
    again = await chat.say("my phone is blue", "inform", 0.4)
    assert again.startswith("That doesn't look like a phone number.")
    stopped = await chat.say("never mind")
    assert stopped.startswith("OK, let's start again") and chat.state.question is None


async def test_an_opted_out_phone_gets_no_code(catalog_shop: Shop) -> None:
    catalog_shop.run(opt_out, PHONE, "STOP")
    said = await Chat(catalog_shop).say("link my phone 07700900123", "link_phone")
    assert said.startswith("••••0123 has opted out of our texts")


async def test_too_many_codes_stop(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    for _ in range(LINK_CODES_PER_HOUR):
        await chat.say("link my phone 07700900123", "link_phone")
    said = await chat.say("link my phone 07700900123", "link_phone")
    assert said == "I've sent too many codes lately. Please try again in an hour."


async def test_on_sms_there_is_nothing_to_link_or_unlink(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop, SMS, "sms")
    assert (await chat.say("link my phone", "link_phone")).startswith("You're already messaging from your phone")
    assert (await chat.say("unlink my phone", "unlink_phone")).startswith("This chat is your phone's own")
    web = Chat(catalog_shop)
    assert await web.say("unlink my phone", "unlink_phone") == "This chat isn't linked to a phone."
