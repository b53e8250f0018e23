"""Follow-ups: a short message that carries on the last answer's topic ("and on sunday?", "phone?", "and in L?",
"klarna?" after the ways to pay), and the checks that keep a classifier guess from answering the wrong topic."""

from __future__ import annotations

import re

from bot.conversation import product_info, support
from bot.conversation.reading import refers_back
from bot.conversation.turn import Turn
from bot.catalog.stock_query import StockQuery

SURE = 0.80
ADDRESS_WORDS = re.compile(
    r"\b(?:address|postcode|post code|directions|where is|where's|wheres|how do i get|get there|phone|number|tel|"
    r"telephone|call|ring|contact|located)\b",
    re.I,
)
A_PERSON = re.compile(
    r"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+|real\s+|your\s+)*(?:someone|somebody|person|human|agent|staff|"
    r"member of staff|manager|team|people)\b|\b(?:real person|human being|live agent|customer service)\b",
    re.I,
)
CAN_I = re.compile(r"^\s*(?:can|could|do|does|is|what|how|will)\b|^\s*\w+\s*\?\s*$|^.{1,18}\?\s*$", re.I)
DAY_WORDS = re.compile(
    r"\b(?:today|tonight|tomorrow|tmrw|tmr|2day|2moro|now|weekend|mon|monday|tue|tues|tuesday|wed|weds|wednesday|thu|thur|"
    r"thurs|thursday|fri|friday|sat|saturday|sun|sunday|sundays|saturdays|christmas|xmas|boxing|new year|bank holiday)\b",
    re.I,
)
FOLLOW_UP = re.compile(r"^\s*(?:and|&|n|plus|also|oh and|what about|how about|wot about|what of|ok and|and what about)\b|\bthen\s*\??\s*$", re.I)
FOR_COUNT = re.compile(r"\bfor (\d{1,2}|two|three|four|five|six)\b", re.I)
HOURS_WORDS = re.compile(r"\b(?:open|opening|opens|close|closes|closing|shut|shuts|hours|hrs|late)\b", re.I)
NEVER_FAQ = frozenset({"greet", "goodbye", "thank", "handoff", "order_status", "cancel", "hours", "address", "nearest", "link_phone"})
NOT_THE_STORES = re.compile(r"\b(?:my|link|unlink|code|order|mine)\b", re.I)
PRICE_WORDS = re.compile(r"\b(?:how much|price|prices|cost|costs|£)\b", re.I)
STOCK_WORDS = re.compile(r"\b(?:in stock|stock|got|have|available|any left|left)\b", re.I)


def _in_last_answer(turn: Turn, text: str) -> bool:
    """"what about sale items?" right after an answer that mentions sale items."""
    topic = str(turn.state.last.get("topic") or "").removeprefix("faq/")
    answer = (support.faq_answer(topic, turn.shop.settings) or "").lower() if topic else ""
    words = [w for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in ("what", "about", "that", "this", "does", "with", "items")]
    return bool(answer) and bool(words) and all(w.rstrip("s") in answer for w in words)


def scope_guess(turn: Turn) -> bool:
    """out_of_scope is among the classifier's two best guesses with some weight."""
    return any(name == "out_of_scope" and score >= 0.15 for name, score in turn.heard.ranking[:3])


# The intent classifier confuses these with off-topic messages that share a word ("pick a number", "the first
# person on the moon", "what is 15% of 80"): each needs a word of its own topic too.
_TOPIC_WORDS = {
    "link_phone": re.compile(r"\b(?:link|connect|phone|mobile|texts?|sms|whatsapp)\b", re.I),
    "unlink_phone": re.compile(r"\b(?:link|unlink|connect|phone|mobile|disconnect)\b", re.I),
    "order_status": re.compile(r"\b(?:orders?|reservation|reserved|ready|collect|collection|pick ?up|fs-?\w{6}|status|paid|payment|parcel|arrived|where'?s my|it)\b", re.I),
    "handoff": re.compile(r"\b(?:human|agent|staff|advisor|operator|manager|someone|somebody|real|person|people|team|call me|phone me|assistant|colleague)\b", re.I),
    "code": re.compile(r"\b\d{6}\b|\bcode\b", re.I),
}
QUESTION_ABOUT_ELSE = re.compile(r"^\s*(?:who|when did|what year|why is|why do|why does)\b", re.I)


def checked(kind: str, text: str) -> str:
    """The intent's kind, or "unknown" when the message lacks any word of that topic."""
    needed = _TOPIC_WORDS.get(kind)
    if needed is not None and not needed.search(text):
        return "unknown"
    if kind == "handoff" and re.match(r"^\s*(?:who|what|when|where|which|how)\b", text, re.I) and not A_PERSON.search(text):
        return "unknown"  # "who was the first person on the moon", "how much pasta per person"
    return kind


def follow_up(turn: Turn, text: str, query: StockQuery, kind: str, confidence: float) -> str | None:
    """A message that carries on the last answer's topic with something changed: "and on sunday?" after
    opening hours, "phone?" after an address, "and in L?" after a stock answer, "klarna?" after payments."""
    last = turn.state.last.get("goal")
    sure_of_other = confidence >= SURE and kind not in ("stock", "inform", "unknown", "scope", "faq")
    short = len(text.split()) <= 6
    follows = bool(FOLLOW_UP.search(text)) or short
    store_topic = last in ("hours", "address", "nearest")
    if (store_topic or query.store_id) and ADDRESS_WORDS.search(text) and not NOT_THE_STORES.search(text) \
            and kind not in ("hours", "nearest") and not (kind == "faq" and confidence >= SURE):
        return "address"
    own_topic = kind == "faq" and turn.heard.faq_confidence >= 0.6 and confidence >= 0.6
    if last == "faq" and not query.product_id and kind not in NEVER_FAQ and (
        (not own_topic and len(text.split()) <= 12 and CAN_I.match(text))
        or (len(text.split()) <= 6 and (refers_back(text) or _in_last_answer(turn, text)))
    ):
        return "faq_again"  # "can i take it to a different store?" after returns; "how long does that take?"
    if sure_of_other or not follows:
        return None
    if product_info.ASKS_ABOUT_IT.search(text) and (query.product_id or turn.state.focus.product):
        return "describe"
    if store_topic and (DAY_WORDS.search(text) or HOURS_WORDS.search(text) or query.store_id):
        return "hours"
    if last == "reserve" and FOLLOW_UP.search(text) and (query.product_id or query.colour or query.size):
        return "reserve"  # "and a blue one" / "and a grey beanie" right after adding something
    counted = FOR_COUNT.search(text)
    if last == "price" and counted and turn.state.focus.product:
        return "price"  # "and for 2?"
    if last in ("check", "price") and (query.product_id or query.colour or query.size or query.store_id or query.quantity):
        if query.store_id or STOCK_WORDS.search(text):
            return "stock"  # "got grey in L at arndale?" after a price
        if PRICE_WORDS.search(text):
            return "price"
        if last == "price" and (query.product_id or not turn.state.focus.store):
            return "price"  # "and the summit one?" after a price
        return "stock"  # "and in 10?" while talking about a store's stock
    if last == "distance" and query.store_id and not query.product_id:
        return "distance"  # "and didsbury?" after how far stockport is
    if last in ("check", "price") and turn.state.focus.product and PRICE_WORDS.search(text):
        return "price"
    if last == "faq" and not query.product_id and kind in ("faq", "unknown", "scope", "stock", "inform") and confidence < SURE:
        return "faq_again"  # "klarna?" after the ways to pay
    return None
