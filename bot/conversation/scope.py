"""Messages that are clearly not about this shop, whatever the intent classifier guessed.

The classifier learns topics from words, and off-topic messages share many of the shop's words: "does primark
do returns", "how long does it take to walk a mile", "whats 12 times 8", "who was the first person on the
moon". These checks catch the shapes that words alone mislead on: other businesses by name, questions about
the assistant itself, sums, and trivia about people. Each returns a short reason (for logs and tests).
"""

from __future__ import annotations

import re

# Other businesses shoppers mention (in Manchester and online). "boots" is left out on purpose: it is a
# product here. The names are matched as whole words.
OTHER_BUSINESSES = (
    "tesco", "asda", "sainsburys", "sainsbury's", "aldi", "lidl", "morrisons", "waitrose", "co-op", "coop", "iceland",
    "primark", "argos", "next", "h&m", "zara", "asos", "amazon", "ebay", "john lewis", "marks and spencer",
    "marks & spencer", "m&s", "currys", "superdrug", "costa", "starbucks", "greggs", "mcdonalds", "mcdonald's",
    "kfc", "subway", "dpd", "evri", "hermes", "royal mail", "post office", "dhl", "ups", "fedex", "parcelforce",
    "ikea", "b&q", "wickes", "halfords", "go outdoors", "mountain warehouse", "decathlon", "jd sports",
    "sports direct", "millets", "blacks", "cotswold", "tk maxx", "matalan", "debenhams", "selfridges", "harvey nichols",
    "apple store", "vodafone", "virgin media", "netflix", "spotify", "uber", "deliveroo",
    "just eat", "airbnb", "ryanair", "easyjet", "jet2", "northern rail", "avanti", "tfgm", "metrolink",
    "hmrc", "dvla", "council tax", "the council", "barclays", "hsbc", "natwest", "lloyds", "santander", "monzo", "nationwide", "halifax",
    "paypal account", "lotto", "bet365",
)
_BUSINESS = re.compile(r"(?<![\w&])(?:" + "|".join(re.escape(name) for name in OTHER_BUSINESSES) + r")(?![\w&])", re.I)
# "next" is a word as well as a shop: only "next" as a shop ("at next", "to next", "does next").
_NEXT_THE_SHOP = re.compile(r"\b(?:at|to|from|in|does|do|is)\s+next\b(?!\s+(?:week|day|month|year|time|one|season|to))", re.I)

_ABOUT_THE_BOT = re.compile(
    r"\b(?:how old are (?:you|u)|where (?:do|did|were) (?:you|u) (?:live|born|grow up|from)|where are (?:you|u) from|"
    r"(?:are|r) (?:you|u) (?:happy|sad|single|married|lonely|real|alive|human|a robot|a person|conscious|sentient|chatgpt|ai)|"
    r"do (?:you|u) (?:ever )?(?:sleep|dream|eat|get lonely|get bored|have feelings|love me|like me|have a (?:name|family|girlfriend|boyfriend))|"
    r"what(?:'s| is| s) (?:your|ur) (?:name|age|favourite|favorite)|who (?:made|created|built|programmed) (?:you|u)|"
    r"what do (?:you|u) look like|will (?:you|u) marry me)\b",
    re.I,
)
_SUM = re.compile(
    r"\b\d+(?:\.\d+)?\s*(?:[×*/+=]|x(?=\s*\d)|\s-\s|times|plus|minus|divided by|multiplied by|to the power of)\s*\d+|"
    r"\b(?:squared|cubed|square root|percent of|\d+\s*%\s*of)\b|\bsolve\b|\d+x\s*[+-]",
    re.I,
)
_TRIVIA_ABOUT_PEOPLE = re.compile(r"^\s*who\s+(?:was|is|were|won|invented|wrote|discovered|painted|sang|directed)\b", re.I)


def off_topic_reason(text: str) -> str | None:
    """Why `text` is clearly about something else than this shop, or None when it may be about the shop."""
    if _BUSINESS.search(text) or _NEXT_THE_SHOP.search(text):
        return "another business"
    if _ABOUT_THE_BOT.search(text):
        return "about the assistant"
    if _SUM.search(text):
        return "a sum"
    if _TRIVIA_ABOUT_PEOPLE.match(text):
        return "trivia"
    return None
