"""Card numbers are masked: Luhn-valid 12-19 digit runs, however grouped, keep only their last four digits."""

from __future__ import annotations

import pytest

from bot.kernel.card_masking import luhn_valid, mask_card_numbers
from bot.messaging.transcript import messages_after, record_message
from bot.kernel.shop import Shop


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
        # The card is found inside a longer run of numbers and the expiry stays readable, but the card's
        # last four go: "4242 4242 4242 12 30" reads as a card too, and no reading may leave another's digits.
        ("4242 4242 4242 4242 12/30", "**** **** **** **** 12/30"),
        ("4242 4242 4242 4242 exp 12/30", "**** **** **** 4242 exp 12/30"),
        # A number typed just before the card does not pull the window left; a valid tail of a longer
        # card does not leave its head readable.
        ("2 4242 4242 4242 4242", "2 **** **** **** 4242"),
        ("7030 1000 0000 0000 9", "**** **** **** *000 9"),
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
        # A shopper pasting a link keeps it working: links and paths keep their digits, in brackets too.
        "paid? (/pay/4242424242424242) or shop.example.com/pay/4242424242424242.",
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


# --- properties: links and tokens survive whatever digits they hold; a typed card never does ----------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"


def _luhn_complete(body: str) -> str:
    """`body` plus the check digit that makes it Luhn-valid."""
    return next(body + digit for digit in "0123456789" if luhn_valid(body + digit))


# Card numbers: a non-zero first digit, 12-19 digits in all, Luhn-valid.
cards = st.integers(min_value=12, max_value=19).flatmap(
    lambda length: st.text("0123456789", min_size=length - 2, max_size=length - 2).map(
        lambda rest: _luhn_complete(str(1 + len(rest) % 9) + rest)
    )
)
# Tokens that hide a card-like run: the assistant's pay-link ids look like cs_sandbox_<hex>.
tokens = st.tuples(st.text(_TOKEN_CHARS, max_size=20), cards, st.text(_TOKEN_CHARS, max_size=20)).map("".join)
links = st.tuples(
    st.sampled_from(["https://shop.example.com", "http://127.0.0.1:5055", "http://localhost:8080", "shop.example.co.uk", "www.fellside.test", ""]),
    st.lists(st.sampled_from(["pay", "chat", "orders", "api", "v1", "c"]), min_size=1, max_size=3),
    tokens,
    st.sampled_from(["", "?session=1", "#fid4242424242424242", "?t=4242-4242-4242-4242&x=1"]),
).map(lambda parts: f"{parts[0]}/{'/'.join(parts[1])}/{parts[2]}{parts[3]}")
words = st.sampled_from(["my", "card", "is", "pay", "here", "thanks", "the", "number", "Visa", "ok", "please", "x"])
separators = st.sampled_from([" ", "-", ".", "  ", "\u00a0", " - ", "/", ""])
# What people put around a link or a card: brackets, quotes, a colon, end punctuation.
left_of = st.sampled_from([" ", ": ", " (", " '", ' "', " <", "\n", " - "])
right_of = st.sampled_from([" ", ") ", ". ", ", ", "' ", '" ', "> ", "! ", "\n"])


def _grouped(card: str, separator: str, size: int) -> str:
    return separator.join(card[index:index + size] for index in range(0, len(card), size))


@settings(max_examples=200, deadline=None)
@given(st.lists(words, max_size=6), links, left_of, right_of, st.lists(words, max_size=6))
def test_any_link_with_a_token_survives(before: list[str], link: str, left: str, right: str, after: list[str]) -> None:
    text = " ".join(before) + left + link + right + " ".join(after)
    assert mask_card_numbers(text) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(words, max_size=6), cards, separators, st.sampled_from([4, 4, 4, 3, 5, 6]), left_of, right_of, st.lists(words, max_size=6))
def test_any_card_typed_in_prose_is_masked_to_at_most_its_last_four(
    before: list[str], card: str, separator: str, size: int, left: str, right: str, after: list[str]
) -> None:
    typed = _grouped(card, separator, size)
    text = " ".join(before) + left + typed + right + " ".join(after)
    masked = mask_card_numbers(text)
    digits_left = "".join(char for char in masked if char.isdigit())
    # At most its last four digits stay readable (fewer when a Luhn-valid prefix of it overlaps:
    # "8000 0000 0000 0011 00" is masked whole but its last two).
    assert card[-4:].endswith(digits_left), (text, masked)
    assert masked.count("*") >= len(card) - 4 and len(masked) == len(text)
