"""Browsing with a price limit, as shoppers in each market type it: the limit in the market's currency, the
reply in the shopper's language, the prices the way the market writes them."""

from __future__ import annotations

import re

from bot.kernel.shop import Shop
from tests.bot.conversation.chat import Chat

JAKARTA_SMS = "sms:+6281234567890"


def rupiah(text: str) -> list[int]:
    """Every rupiah amount in the text, in whole rupiah ("Rp 1.049.000" -> 1049000)."""
    return [int(amount.replace(".", "")) for amount in re.findall(r"Rp\xa0([\d.]+)", text)]


def pounds(text: str) -> list[float]:
    return [float(amount) for amount in re.findall(r"£(\d+\.\d\d)", text)]


async def test_a_jakarta_shopper_browses_under_a_limit_in_rupiah(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop, JAKARTA_SMS, "sms")
    said = await chat.say("jaket di bawah 1,5 juta", "check_stock", entities={"product": "jaket"})

    assert chat.state.language == "id" and said.startswith("Ini yang saya temukan di bawah Rp\xa01.500.000:")
    assert "Packaway Rain Jacket" in said and "Ullswater" not in said and "£" not in said
    # a product's price range may end above the limit; where it starts may not
    assert rupiah(said) and all(low <= 1_500_000 for low in rupiah(said)[::2] if low)
    assert min(rupiah(said)) == 1_049_000


async def test_ribu_k_and_dotted_thousands_are_the_same_limit(catalog_shop: Shop) -> None:
    for typed in ("ada topi di bawah 500 ribu?", "topi max 500rb", "topi under 500k", "topi budget 500.000"):
        chat = Chat(catalog_shop, JAKARTA_SMS, "sms")
        said = await chat.say(typed, "check_stock")
        assert "Bobble Beanie" in said and "Rp\xa0377.000" in said, typed
        assert all(amount <= 500_000 for amount in rupiah(said)), typed


async def test_a_finnish_shopper_in_manchester_browses_under_a_limit_in_pounds(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    said = await chat.say("takki alle 80", "check_stock", entities={"product": "takki"})

    assert chat.state.language == "fi" and said.startswith("Tässä mitä löysin alle £80:")
    assert "Ullswater Softshell Jacket" in said and "Helvellyn" not in said
    assert pounds(said) and min(pounds(said)) <= 80


async def test_a_limit_in_euros_to_a_manchester_store_is_not_taken_as_pounds(catalog_shop: Shop) -> None:
    chat = Chat(catalog_shop)
    said = await chat.say("takki alle 100 euroa", "check_stock", entities={"product": "takki"})

    assert said.startswith("Hintamme ovat täällä valuutassa £ (GBP), joten en voi rajata hakua summaan 100\xa0€.")
    assert "Jacket" in said and "alle £100" not in said


async def test_a_price_limit_makes_an_unclassified_message_a_shopping_request(catalog_shop: Shop) -> None:
    # The classifier may be unsure of "sepatu max 1jt"; the limit says it is browsing all the same.
    chat = Chat(catalog_shop, JAKARTA_SMS, "sms")
    said = await chat.say("sepatu max 1jt", "out_of_scope", 0.5)
    assert "Moorland Wellington Boot" in said and "Rp\xa0839.000" in said and "Trailblazer" not in said


async def test_a_limit_read_as_a_quantity_change_is_still_browsing(catalog_shop: Shop) -> None:
    # The classifier reads the numbers as a new quantity (change_quantity, 1.0 and 0.83 in the trained model).
    chat = Chat(catalog_shop, JAKARTA_SMS, "sms")
    said = await chat.say("jaket di bawah 1,5 juta", "change_quantity", 1.0, entities={"product": "jaket"})
    assert "Packaway Rain Jacket" in said and "keranjang" not in said.lower()
    said = await Chat(catalog_shop, JAKARTA_SMS, "sms").say("ada tenda antara 4 jt dan 6 juta?", "change_quantity", 0.83,
                                                            entities={"product": "tenda", "quantity": "4"})
    assert "Ridgeback 2-Person Tent" in said and "Rp\xa04.829.000" in said and "Borrowdale" not in said
