"""SMS splitting and segment counting, and the per-channel rendering of options."""

from __future__ import annotations

import pytest

from connectors._rendering import (
    count_segments,
    meta_quick_replies,
    numbered_text,
    options_from_buttons,
    select_option,
    sms_encoding,
    split_message,
    telegram_inline_keyboard,
)


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters take two septets: 160 septets
        ("€" * 81, "GSM-7", 2),
        ("a" * 152 + "€", "GSM-7", 1),  # 154 septets still fit one segment
        ("a" * 159 + "€", "GSM-7", 2),  # 161 septets; the escape pair is not split across segments
        ("Café £5 @ Zürich", "GSM-7", 1),
        ("ł" * 70, "UCS-2", 1),
        ("ł" * 71, "UCS-2", 2),
        ("ł" * 134, "UCS-2", 2),
        ("ł" * 135, "UCS-2", 3),
        ("😀" * 35, "UCS-2", 1),  # each emoji is a surrogate pair: 70 units
        ("😀" * 36, "UCS-2", 2),
        ("a" * 66 + "😀", "UCS-2", 1),
        ("a" * 66 + "😀" + "a" * 4, "UCS-2", 2),
    ],
)
def test_encoding_and_segments(text: str, encoding: str, segments: int) -> None:
    assert sms_encoding(text) == encoding
    assert count_segments(text) == segments


def test_one_non_gsm_character_switches_the_whole_message_to_ucs2() -> None:
    text = "Your order is ready" + "’"  # a curly apostrophe is not in GSM-7
    assert sms_encoding(text) == "UCS-2"
    assert count_segments("a" * 69 + "’") == 1 and count_segments("a" * 70 + "’") == 2


def test_short_text_is_one_part_and_empty_is_none() -> None:
    assert split_message("  Hello there.  ") == ["Hello there."]
    assert split_message("   ") == []


def test_long_text_splits_at_sentence_boundaries_within_the_limit() -> None:
    sentences = [f"Sentence {n} is about hiking boots!" if n % 3 else f"Is sentence {n} a question?" for n in range(120)]
    text = " ".join(sentences)
    parts = split_message(text)
    assert len(parts) == 3
    assert all(len(part) <= 1600 for part in parts)
    assert all(part.endswith(("!", "?")) for part in parts)
    assert " ".join(parts) == text


def test_newlines_are_boundaries_too_and_small_limits_work() -> None:
    assert split_message("line one\nline two\nline three", limit=18) == ["line one\nline two", "line three"]


def test_a_sentence_longer_than_the_limit_splits_between_words_and_a_huge_word_is_cut() -> None:
    parts = split_message("alpha beta gamma delta epsilon. Done.", limit=12)
    assert parts == ["alpha beta", "gamma delta", "epsilon.", "Done."]
    assert split_message("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]


def test_split_rejects_a_nonsense_limit() -> None:
    with pytest.raises(ValueError):
        split_message("hi", limit=0)


def test_numbered_options_and_replies() -> None:
    options = options_from_buttons([{"title": "Reserve", "payload": "/reserve"}, {"title": "Cancel order", "payload": "/cancel_order"}, {"title": "Just looking"}])
    assert options[2] == {"title": "Just looking", "payload": "Just looking"}
    assert numbered_text("What next?", options) == (
        "What next?\n\n1. Reserve\n2. Cancel order\n3. Just looking\n\nReply with a number (1-3)."
    )
    assert numbered_text("No options", []) == "No options"
    # The prompt follows the reply's language (the output channel doesn't know the conversation's).
    pay = [{"title": "Bayar saat ambil", "payload": "/x"}]
    assert numbered_text("Stockport punya semuanya (£39.99). Mau bayar dengan cara apa?", pay).endswith("Balas dengan nomor (1).")
    assert numbered_text("Myymälässä Arndale on kaikki. Miten haluat maksaa?", pay).endswith("Vastaa numerolla (1).")
    assert select_option("2", options) == options[1]
    assert select_option(" 3. ", options) == options[2]
    assert select_option("CANCEL   ORDER", options) == options[1]
    assert select_option("4", options) is None
    assert select_option("0", options) is None
    assert select_option("reserve it", options) is None
    assert select_option("1", []) is None


def test_meta_quick_replies_respect_limits() -> None:
    options = [{"title": f"Option number {n} is long", "payload": "p" * 1001 if n == 0 else f"/o{n}"} for n in range(15)]
    replies = meta_quick_replies(options)
    assert len(replies) == 13
    assert all(len(reply["title"]) <= 20 for reply in replies)
    assert replies[0] == {"content_type": "text", "title": "Option number 0 is…", "payload": "Option number 0 is long"}
    assert replies[1]["payload"] == "/o1"


def test_telegram_keyboard_keeps_callback_data_within_64_bytes() -> None:
    keyboard = telegram_inline_keyboard([{"title": "Short", "payload": "/yes"}, {"title": "Long", "payload": "/x" + "é" * 32}])
    assert keyboard == {
        "inline_keyboard": [[{"text": "Short", "callback_data": "/yes"}], [{"text": "Long", "callback_data": "option:2"}]]
    }
