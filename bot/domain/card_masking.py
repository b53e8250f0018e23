"""Masking payment card numbers in free text, so transcripts never hold or show a full PAN.

A run of 13-19 digits (spaces or dashes allowed between them) that passes the Luhn check is
replaced by asterisks except its last four digits. Other long numbers (order references, phone
numbers) almost never pass Luhn by chance and stay readable.
"""

from __future__ import annotations

import re

# 13-19 digits, optionally grouped by single spaces or dashes; not glued to other digits.
_CANDIDATE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) checksum every payment card number satisfies."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def mask_card_numbers(text: str) -> str:
    """Returns `text` with every Luhn-valid 13-19 digit card number masked to its last four digits.

    Example: "my card is 4242 4242 4242 4242" -> "my card is **** **** **** 4242" (grouping kept).
    """
    if not text:
        return text

    def mask(match: re.Match[str]) -> str:
        candidate = match.group(0)
        digits = re.sub(r"[ -]", "", candidate)
        if not luhn_valid(digits):
            return candidate
        keep_from = len(digits) - 4
        seen = 0
        masked = []
        for char in candidate:
            if char.isdigit():
                masked.append(char if seen >= keep_from else "*")
                seen += 1
            else:
                masked.append(char)
        return "".join(masked)

    return _CANDIDATE.sub(mask, text)
