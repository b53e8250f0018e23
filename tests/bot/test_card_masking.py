"""Card numbers are masked in transcripts: Luhn-valid 13-19 digit runs keep only their last four digits."""

from __future__ import annotations

import pytest

from bot.domain.card_masking import luhn_valid, mask_card_numbers
from bot.services.transcript import messages_after, record_message
from bot.shop import Shop


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("card 4242424242424242 thanks", "card ************4242 thanks"),
        ("4242 4242 4242 4242", "**** **** **** 4242"),
        ("5555-5555-5555-4444 exp 12/30", "****-****-****-4444 exp 12/30"),
        ("amex 378282246310005", "amex ***********0005"),
        ("two: 4111111111111111 and 4000056655665556", "two: ************1111 and ************5556"),
    ],
)
def test_valid_card_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_card_numbers(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "order FS-123456 please",
        "call me on 07700 900123",
        "+447700900123",
        "4242424242424241",  # fails the Luhn check
        "12345678901234567890123",  # too long to be a card
        "",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_card_numbers(text) == text


def test_luhn() -> None:
    assert luhn_valid("79927398713") and not luhn_valid("79927398710") and not luhn_valid("12a4")


def test_transcript_stores_masked_text(shop: Shop) -> None:
    shop.run(record_message, "sms:+447700900123", "sms", "user", "my card is 4242 4242 4242 4242")
    [line] = shop.run(messages_after, "sms:+447700900123")
    assert line.text == "my card is **** **** **** 4242"
