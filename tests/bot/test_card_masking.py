"""Card numbers are masked: Luhn-valid 12-19 digit runs, however grouped, keep only their last four digits."""

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
        # The ten ways the attacker probe typed 4242...: every separator people use, and none.
        ("4242.4242.4242.4242", "****.****.****.4242"),
        ("4242  4242  4242  4242", "****  ****  ****  4242"),
        ("4242\u00a04242\u00a04242\u00a04242", "****\u00a0****\u00a0****\u00a04242"),
        ("4242/4242/4242/4242", "****/****/****/4242"),
        ("4242 - 4242 - 4242 - 4242", "**** - **** - **** - 4242"),
        ("4242\u20134242\u20134242\u20134242", "****\u2013****\u2013****\u20134242"),
        ("4242\u202f4242\u202f4242\u202f4242", "****\u202f****\u202f****\u202f4242"),
        ("4242 42424242 4242", "**** ******** 4242"),
        ("card:4242 4242 4242 4242.", "card:**** **** **** 4242."),
        ("(5555 5555 5555 4444)", "(**** **** **** 4444)"),
        # 12-digit Maestro-length numbers count too.
        ("number 500000000009 ok", "number ********0009 ok"),
        # The card is found inside a longer run of numbers; the expiry after it stays readable.
        ("4242 4242 4242 4242 12/30", "**** **** **** 4242 12/30"),
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
        # Ids, tokens and links keep their digits, the assistant's pay links above all.
        "pay here: http://localhost:5055/pay/cs_sandbox_6ddaf34de40e4242424242424242 thanks",
        "https://shop.example.com/pay/4242424242424242",
        "/pay/4242424242424242",
        "www.example.com/4242-4242-4242-4242",
        "token abc4242424242424242 and 4242424242424242xyz",
        "ref_4242424242424242",
        "+4242424242424242",  # a "+" starts a phone number, not a card
        "0042424242424242",  # no card number starts with 0
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_card_numbers(text) == text


def test_luhn() -> None:
    assert luhn_valid("79927398713") and not luhn_valid("79927398710") and not luhn_valid("12a4")


def test_long_inputs_are_masked_in_linear_time() -> None:
    import time

    text = "12 " * 3000 + "card 4242 4242 4242 4242"
    started = time.perf_counter()
    assert mask_card_numbers(text).endswith("**** **** **** 4242")
    assert time.perf_counter() - started < 1.0


def test_transcript_stores_masked_text(shop: Shop) -> None:
    shop.run(record_message, "sms:+447700900123", "sms", "user", "my card is 4242 4242 4242 4242")
    [line] = shop.run(messages_after, "sms:+447700900123")
    assert line.text == "my card is **** **** **** 4242"


def test_transcript_keeps_the_assistants_own_lines_as_written(shop: Shop) -> None:
    # A bot line is ours (pay links, references): masking is for what people type.
    shop.run(record_message, "sms:+447700900123", "sms", "bot", "Test card: 4242 4242 4242 4242")
    [line] = shop.run(messages_after, "sms:+447700900123")
    assert line.text == "Test card: 4242 4242 4242 4242"
