"""Masking payment card numbers in free text, so no store, log, tracker or broker holds a full PAN.

A card number is 12-19 digits that pass the Luhn check, typed in groups separated by anything
people type between groups: spaces (one or several), non-breaking and thin spaces, dots, dashes
and slashes, or nothing at all. Every such number is replaced by asterisks except its last four
digits, keeping the separators ("4242.4242.4242.4242" -> "****.****.****.4242").

What is never masked, because it is not a number someone typed as a card:
- digits glued to letters or underscores ("cs_sandbox_6ddaf34de40e4242424242424242", "FS-123"): ids
  and tokens, including the assistant's own pay links;
- links, whatever digits they hold: a word with a scheme ("https://…"), "www.…", a host name with a
  path ("shop.example.com/pay/…") or a path ("/pay/…", also inside brackets or quotes: "(/pay/…)");
- a run starting with "+" or "0": phone numbers in international or trunk form (no card starts with 0);
- longer digit runs unless a group window of them is Luhn-valid: "4242 4242 4242 4242 exp 12/30" masks
  the card and keeps the expiry.
Other long numbers (order references, phone numbers) fail Luhn nine times in ten and stay readable.
"""

from __future__ import annotations

import re

MIN_DIGITS, MAX_DIGITS = 12, 19
# What people put between digit groups: spaces of every kind, dots, dashes of every kind, slashes.
_SEPARATOR = "[ \t\u00a0\u2007\u2009\u202f.\\-\u2010-\u2015/]"
# A run of digit groups joined by 1-3 separator characters ("4242  4242", "4242 - 4242"); not glued
# to a word character on either side. Runs are split into groups and checked window by window.
_RUN = re.compile(rf"(?<![\w+])\d+(?:{_SEPARATOR}{{1,3}}\d+)*(?!\w)")
_GROUP = re.compile(r"\d+")
# Links, left exactly as written to the next whitespace: a scheme or "www.", a host name (its last
# label letters: "4242.4242.4242.4242/30" is a card, not a host) followed by a path, or a path whose
# first segment starts with a letter ("(/pay/…)"; "4242/4242/…" is a card), or any word starting "/".
_LINK = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.\-]*://|\bwww\.)\S*"
    r"|\b[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}/\S*"
    r"|(?<![\w/])/[A-Za-z][\w.~%\-]*/\S*"
    r"|(?<!\S)/\S*"
)


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
    """Returns `text` with every card number (see the module docstring) masked to its last four digits.

    Example: "my card is 4242 4242 4242 4242" -> "my card is **** **** **** 4242" (grouping kept).
    """
    if not text or sum(char.isdigit() for char in text) < MIN_DIGITS:
        return text
    links = [match.span() for match in _LINK.finditer(text)]
    chars = list(text)
    for run in _RUN.finditer(text):
        if any(start < run.end() and run.start() < end for start, end in links):
            continue
        _mask_run(chars, [(group.start() + run.start(), group.end() + run.start()) for group in _GROUP.finditer(run.group())], text)
    return "".join(chars)


def _mask_run(chars: list[str], groups: list[tuple[int, int]], text: str) -> None:
    """Masks, in place, every window of consecutive groups that forms a card number, each to its last
    four digits; where valid windows overlap, a digit masked by any of them is masked.

    Overlapping readings are common ("2 4242 4242 4242 4242": a number typed before the card; "7030 1000
    0000 0000 9": a 17-digit card whose last 13 digits are valid too) and no single choice is right for
    all of them, so none may leave another's digits readable. The price: a card followed straight by its
    expiry can lose its last four too ("4242 4242 4242 4242 12/30" -> "**** **** **** **** 12/30").
    """
    for index in range(len(groups)):
        digits = ""
        for end in range(index, len(groups)):
            digits += text[groups[end][0]:groups[end][1]]
            if len(digits) > MAX_DIGITS:
                break
            if len(digits) >= MIN_DIGITS and digits[0] != "0" and luhn_valid(digits):
                positions = [p for start, stop in groups[index:end + 1] for p in range(start, stop)]
                for position in positions[:-4]:
                    chars[position] = "*"
