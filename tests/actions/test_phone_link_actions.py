"""The phone-linking form with trackers built from dicts: the code goes out by SMS (outbox) and is typed back."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from actions.phone_link import ActionFinishPhoneLink, ValidateLinkPhoneForm, phone_number_in
from bot.models import OutboundMessage
from bot.services import identity
from bot.services.cart import add_to_cart
from bot.services.phone_link import LINK_CODES_PER_HOUR
from bot.services.messaging import opt_out
from tests.actions.trackers import SENDER, dispatcher, tracker
from tests.support.domain import load_domain

PHONE = "+447700900123"
FORM = "link_phone_form"


def asked(slot: str | None, text: str, intent: str = "inform", **slots: Any) -> Tracker:
    return tracker(text, intent, {"requested_slot": slot, **slots}, active_loop=FORM)


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def texted(shop) -> str:
    with shop.uow() as uow:
        return uow.session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.recipient == PHONE).order_by(OutboundMessage.id.desc())
        ).first()


def texted_code(shop) -> str:
    return re.search(r"\b(\d{6})\b", texted(shop)).group(1)


def test_a_number_is_found_in_free_text() -> None:
    assert phone_number_in("link my phone 07700 900123 please") == "07700 900123"
    assert phone_number_in("link my phone please") is None


async def test_a_web_shopper_links_their_phone_and_sees_their_text_order_basket(catalog_shop) -> None:
    shop = catalog_shop
    shop.run(identity.record_inbound_identity, "sms", PHONE)
    shop.run(add_to_cart, f"sms:{PHONE}", "FS-BOOT-TRB-BRN-9", 1)
    form = ValidateLinkPhoneForm()

    said = dispatcher()
    first = await form.run(said, tracker("link my phone 07700 900123", "link_phone", active_loop=FORM), load_domain())
    assert slots_of(first)["phone_to_link"] == PHONE
    assert said.messages[0]["text"] == "I've texted a 6-digit code to ••••0123."
    assert not any(event["name"] == "requested_slot" for event in first)  # Rasa asks for link_code next
    assert re.fullmatch(r"Fellside Outfitters: your code to link this number to our chat is \d{6}\. .+", texted(shop))

    said = dispatcher()
    wrong = "000000" if texted_code(shop) != "000000" else "111111"
    events = await form.run(said, asked("link_code", wrong, "give_code", phone_to_link=PHONE), load_domain())
    assert slots_of(events)["link_code"] is None
    assert said.messages[0]["text"] == "That code isn't right; 4 tries left."

    said = dispatcher()
    events = await form.run(said, asked("link_code", f"its {texted_code(shop)}", "give_code", phone_to_link=PHONE), load_domain())
    assert slots_of(events) == {"link_code": "accepted", "phone_link_status": "linked"}  # all filled: the form ends

    said = dispatcher()
    done = await ActionFinishPhoneLink().run(
        said, tracker("", "give_code", {"phone_to_link": PHONE, "phone_link_status": "linked"}), load_domain()
    )
    assert said.messages[0]["text"] == (
        'Done - this chat is linked to ••••0123. I can see 1 item in your basket here now. '
        'Ask "where\'s my order?" or "show my basket".'
    )
    assert done == [SlotSet("phone_link_status", None), SlotSet("phone_to_link", None), SlotSet("link_code", None)]
    with shop.uow() as uow:
        assert identity.customer_of_conversation(uow.session, SENDER) is not None


async def test_something_that_is_not_a_number_is_asked_again(catalog_shop) -> None:
    said = dispatcher()
    events = await ValidateLinkPhoneForm().run(said, asked("phone_to_link", "my phone is blue"), load_domain())
    assert slots_of(events)["phone_to_link"] is None
    assert not any(event["name"] == "requested_slot" for event in events)  # Rasa asks for the number again
    assert said.messages[0]["text"].startswith("That doesn't look like a phone number.")


async def test_saying_never_mind_ends_the_form(catalog_shop) -> None:
    events = await ValidateLinkPhoneForm().run(dispatcher(), asked("phone_to_link", "never mind", "deny"), load_domain())
    assert slots_of(events)["phone_link_status"] == "stopped"
    assert SlotSet("requested_slot", None) in events
    said = dispatcher()
    await ActionFinishPhoneLink().run(said, tracker("never mind", "deny", {"phone_link_status": "stopped"}), load_domain())
    assert said.messages[0]["text"] == "OK, I won't link a phone. Anything else I can help with?"


async def test_an_opted_out_phone_gets_no_code_and_the_form_ends(catalog_shop) -> None:
    catalog_shop.run(opt_out, PHONE, "STOP")
    said = dispatcher()
    events = await ValidateLinkPhoneForm().run(said, asked("phone_to_link", "07700900123"), load_domain())
    assert said.messages[0]["text"].startswith("••••0123 has opted out of our texts")
    assert SlotSet("requested_slot", None) in events
    with catalog_shop.uow() as uow:
        assert uow.session.scalars(select(OutboundMessage.status).where(OutboundMessage.recipient == PHONE)).all() in ([], ["opted_out"])


async def test_too_many_codes_end_the_form(catalog_shop) -> None:
    form = ValidateLinkPhoneForm()
    for _ in range(LINK_CODES_PER_HOUR):
        await form.run(dispatcher(), asked("phone_to_link", "07700900123"), load_domain())
    said = dispatcher()
    events = await form.run(said, asked("phone_to_link", "07700900123"), load_domain())
    assert said.messages[0]["text"] == "I've sent too many codes lately. Please try again in an hour."
    assert SlotSet("requested_slot", None) in events


async def test_on_sms_there_is_nothing_to_link(catalog_shop) -> None:
    on_sms = tracker("link my phone", "link_phone", active_loop=FORM)
    on_sms.sender_id = f"sms:{PHONE}"
    events = await ValidateLinkPhoneForm().run(dispatcher(), on_sms, load_domain())
    assert SlotSet("requested_slot", None) in events
    said = dispatcher()
    await ActionFinishPhoneLink().run(said, on_sms, load_domain())
    assert said.messages[0]["text"].startswith("You're already messaging from your phone")


async def test_unlinking_says_what_happened(catalog_shop) -> None:
    from actions.phone_link import ActionUnlinkPhone
    from bot.services.phone_link import confirm_phone_link, start_phone_link

    said = dispatcher()
    await ActionUnlinkPhone().run(said, tracker("unlink my phone", "unlink_phone"), load_domain())
    assert said.messages[0]["text"] == "This chat isn't linked to a phone."

    issued = catalog_shop.run(start_phone_link, SENDER, PHONE)
    assert catalog_shop.run(confirm_phone_link, SENDER, issued.code).linked
    said = dispatcher()
    await ActionUnlinkPhone().run(said, tracker("unlink my phone", "unlink_phone"), load_domain())
    assert said.messages[0]["text"].startswith("Done - this chat is no longer linked to your phone.")
    with catalog_shop.uow() as uow:
        assert identity.customer_of_conversation(uow.session, SENDER) is None

    on_sms = tracker("unlink my phone", "unlink_phone")
    on_sms.sender_id = f"sms:{PHONE}"
    said = dispatcher()
    await ActionUnlinkPhone().run(said, on_sms, load_domain())
    assert said.messages[0]["text"].startswith("This chat is your phone's own")
