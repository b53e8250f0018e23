"""The inbound door's rules on their own: cleaning, the length cap, masking, and JSON bodies."""

from __future__ import annotations

import pytest

from bot.kernel.inbound_text import MAX_INBOUND_CHARS, load_json_body, screen_inbound, storable


def test_the_door_masks_and_caps() -> None:
    assert screen_inbound("card 4242/4242/4242/4242").text == "card ****/****/****/4242"
    assert screen_inbound("x" * MAX_INBOUND_CHARS).text == "x" * MAX_INBOUND_CHARS
    assert screen_inbound("x" * (MAX_INBOUND_CHARS + 1)).too_long


def test_unstorable_characters_are_dropped() -> None:
    assert storable("a\ud800b\x00c\udfff") == "abc"
    assert screen_inbound("\ud800").text == ""


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a": "\\ud800"}', b'{"\\udfff": 1}', b'["\\u0000"]', b"{", b"\xff"])
def test_unusable_json_bodies_are_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):
        load_json_body(raw)


def test_usable_json_bodies_parse_as_json() -> None:
    assert load_json_body(b'{"a": ["\\ud83d\\ude00", 1, null]}') == {"a": ["\U0001f600", 1, None]}
