"""The door every shopper's message passes before anything stores, logs or forwards it.

One step for every channel (web chat, Rasa's REST channel, SMS, WhatsApp, Messenger, Instagram,
Telegram): text that cannot be stored is cleaned, card numbers are masked, and a message longer
than MAX_INBOUND_CHARS is refused with a polite reply instead of reaching Rasa. The cap exists
because Rasa's NLU time grows faster than linearly with a message's length: a 40 KB message held
Rasa's event loop for 9 s (every other conversation waited), 100 KB for 49 s.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.kernel.card_masking import mask_card_numbers

MAX_INBOUND_CHARS = 2000
TOO_LONG_REPLY = (
    "Sorry, that message is too long for me to read (over 2,000 characters). "
    "Could you send it again in a few shorter messages?"
)
# Lone UTF-16 surrogates (from JSON "\ud800" escapes) cannot be encoded to UTF-8, so no database
# stores them; NUL is refused by PostgreSQL. Neither is anything a person typed.
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


@dataclass(frozen=True)
class InboundText:
    """A message after the door: `text` is safe to store and forward unless `too_long`."""

    text: str
    too_long: bool = False


def storable(text: str) -> str:
    """`text` without the characters no database can store (lone surrogates, NUL)."""
    return _UNSTORABLE.sub("", text)


def screen_inbound(text: str) -> InboundText:
    """Cleans, length-checks and masks a shopper's message; see the module docstring."""
    if len(text) > MAX_INBOUND_CHARS:
        return InboundText("", too_long=True)
    return InboundText(mask_card_numbers(storable(text)))


def load_json_body(raw: bytes | str) -> object:
    """Parses a webhook's JSON body, refusing what no handler can use.

    Raises:
        ValueError: not JSON, nested too deeply for the parser, or holding a string with a lone
            surrogate or NUL (in ids as much as in text: no database stores them).
    """
    try:
        value = json.loads(raw)
    except RecursionError as error:
        raise ValueError("JSON nested too deeply") from error
    except UnicodeDecodeError as error:
        raise ValueError("body is not UTF-8") from error
    pending = [value]
    while pending:  # iterative: the document can be as deep as the parser allowed
        item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                raise ValueError("JSON string with a lone surrogate or NUL")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return value
