"""Turning Rasa's buttons and long texts into what each channel can show.

SMS has no buttons: options become a numbered list and the shopper replies "1", "2" (or the
option's words). Meta gets quick replies within its limits; Telegram an inline keyboard. Long SMS
bodies are split at sentence boundaries into messages of at most 1,600 characters (Twilio's limit).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from bot.languages import N_, SUPPORTED, detect
from bot.languages.catalogue import translate_to

SMS_MAX_CHARS = 1600
MESSENGER_MAX_CHARS = 2000
INSTAGRAM_MAX_CHARS = 1000
TELEGRAM_MAX_CHARS = 4096
META_MAX_QUICK_REPLIES = 13
META_QUICK_REPLY_TITLE_MAX = 20
META_PAYLOAD_MAX = 1000
TELEGRAM_CALLBACK_DATA_MAX_BYTES = 64
TELEGRAM_OPTION_PREFIX = "option:"

# GSM 03.38 default alphabet (one septet each) and its extension table (escape + char = two septets).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
GSM7_SINGLE, GSM7_MULTI = 160, 153  # a multi-part header takes 7 septets of each segment
UCS2_SINGLE, UCS2_MULTI = 70, 67

Option = dict[str, str]  # {"title": ..., "payload": ...}

_SENTENCE = re.compile(r".+?(?:[.!?]+(?=\s|$)|\n|$)\s*", re.S)


def sms_encoding(text: str) -> str:
    """"GSM-7" when every character is in the GSM default alphabet or its extension, else "UCS-2"."""
    return "GSM-7" if all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text) else "UCS-2"


def count_segments(text: str) -> int:
    """How many SMS segments a carrier bills for `text` (0 for an empty text).

    GSM-7: 160 septets in one segment, else 153 per segment, extension characters take two septets
    and an escape pair is never split. UCS-2: 70 UTF-16 units in one, else 67, and a surrogate pair
    (emoji) is never split.
    """
    if not text:
        return 0
    if sms_encoding(text) == "GSM-7":
        costs = [2 if char in GSM7_EXTENDED else 1 for char in text]
        single, multi = GSM7_SINGLE, GSM7_MULTI
    else:
        costs = [2 if ord(char) > 0xFFFF else 1 for char in text]
        single, multi = UCS2_SINGLE, UCS2_MULTI
    if sum(costs) <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments, used = segments + 1, 0
        used += cost
    return segments


def split_message(text: str, limit: int = SMS_MAX_CHARS) -> list[str]:
    """Splits `text` into parts of at most `limit` characters, at sentence boundaries where possible.

    A sentence longer than the limit is split between words; a word longer than the limit is cut.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for sentence in _SENTENCE.findall(text):
        if len(current) + len(sentence.rstrip()) <= limit:
            current += sentence
            continue
        if current.strip():
            parts.append(current.strip())
        current = ""
        if len(sentence.rstrip()) <= limit:
            current = sentence
        else:
            *whole, current = _split_words(sentence, limit)
            parts.extend(whole)
    if current.strip():
        parts.append(current.strip())
    return parts


def _split_words(sentence: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for word in sentence.split():
        while len(word) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:limit])
            word = word[limit:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = word
    pieces.append(current + " ")
    return pieces


def options_from_buttons(buttons: Iterable[dict[str, Any]]) -> list[Option]:
    """Rasa buttons (title, payload) as options; a button without payload sends its title."""
    options = []
    for button in buttons:
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if title or payload:
            options.append({"title": title or payload, "payload": payload})
    return options


_REPLY_WITH_A_NUMBER = N_("Reply with a number ({choices}).")


def numbered_text(text: str, options: list[Option]) -> str:
    """The text followed by "1. ...", "2. ..." and a prompt to reply with a number.

    The prompt asks for numbers, never words, because some words (CANCEL, STOP) are carrier
    opt-out keywords.
    """
    if not options:
        return text
    lines = [f"{index}. {option['title']}" for index, option in enumerate(options, start=1)]
    choices = "1" if len(options) == 1 else f"1-{len(options)}"
    # The output channel doesn't know the conversation's language; the reply's own words tell it.
    language = detect(text)
    prompt = translate_to(language if language in SUPPORTED else "en", _REPLY_WITH_A_NUMBER).format(choices=choices)
    return f"{text}\n\n" + "\n".join(lines) + f"\n\n{prompt}"


def select_option(reply: str | None, options: list[Option]) -> Option | None:
    """The option a reply picks: its number ("2", "2.") or its title, ignoring case and spacing."""
    if not reply or not options:
        return None
    answer = " ".join(reply.strip().rstrip(".").split())
    if answer.isdigit():
        number = int(answer)
        return options[number - 1] if 1 <= number <= len(options) else None
    wanted = answer.casefold()
    for option in options:
        if " ".join(option["title"].split()).casefold() == wanted:
            return option
    return None


def meta_quick_replies(options: list[Option]) -> list[dict[str, str]]:
    """Meta quick replies: at most 13, titles cut to 20 characters, payloads to Meta's 1,000.

    Callers render more than 13 options as a numbered list instead (see `fits_quick_replies`).
    """
    replies = []
    for option in options[:META_MAX_QUICK_REPLIES]:
        title = option["title"]
        if len(title) > META_QUICK_REPLY_TITLE_MAX:
            title = title[: META_QUICK_REPLY_TITLE_MAX - 1].rstrip() + "…"
        payload = option["payload"] if len(option["payload"]) <= META_PAYLOAD_MAX else option["title"]
        replies.append({"content_type": "text", "title": title, "payload": payload})
    return replies


def fits_quick_replies(options: list[Option]) -> bool:
    return 0 < len(options) <= META_MAX_QUICK_REPLIES


def telegram_inline_keyboard(options: list[Option]) -> dict[str, Any]:
    """One inline button per row. callback_data is limited to 64 bytes, so longer payloads send
    "option:<n>", which the connector resolves against the options stored with the message."""
    rows = []
    for number, option in enumerate(options, start=1):
        payload = option["payload"]
        data = payload if len(payload.encode("utf-8")) <= TELEGRAM_CALLBACK_DATA_MAX_BYTES else f"{TELEGRAM_OPTION_PREFIX}{number}"
        rows.append([{"text": option["title"], "callback_data": data}])
    return {"inline_keyboard": rows}


__all__ = [
    "count_segments",
    "fits_quick_replies",
    "meta_quick_replies",
    "numbered_text",
    "options_from_buttons",
    "select_option",
    "sms_encoding",
    "split_message",
    "telegram_inline_keyboard",
]
