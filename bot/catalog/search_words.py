"""Reading a browsing request: the limits in it (price, children, how many a tent sleeps, a colour) and
the words left to match, with shoppers' ways of saying things turned into the catalogue's words.

"walking jacket between 50 and 100 quid", "stocking fillers under a tenner", "what do i need for my first
munro", "a jacket that packs down small": `read_request` returns the limits and "walking jacket",
"stocking fillers", "munro", "jacket packable".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.languages import _
from bot.kernel.money import format_money
from bot.catalog.price_limits import read_price_limits
from bot.catalog.shopper_text import STOPWORDS as _STOPWORDS, normalise_text, shoppers_phrases

# What a need is met by: "rain" is met by waterproof things, "cold" by warm ones, a munro by walking kit.
NEEDS = {
    "rain": ("waterproof",), "wet": ("waterproof",), "raining": ("waterproof",), "cold": ("warm", "insulated"),
    "winter": ("warm", "insulated"), "snow": ("warm", "waterproof"), "hike": ("hiking", "walking"),
    "walk": ("walking", "hiking"), "hiking": ("walking",), "walking": ("hiking",), "camp": ("camping",),
    "drink": ("drinks", "bottle"), "drinks": ("bottle",), "water": ("bottle", "drinks"), "light": ("torch",),
    "night": ("torch",), "dark": ("torch",), "sleep": ("sleeping",), "run": ("running",), "jog": ("running",),
    "munro": ("hiking", "walking", "waterproof"), "mountain": ("hiking", "walking"), "hill": ("hiking", "walking"),
    "hillwalk": ("hiking", "walking"), "fell": ("hiking", "walking"), "scrambl": ("hiking",), "trek": ("trekking", "hiking"),
    "wild": ("camping", "backpacking"), "backpack": ("backpacking",), "sun": ("summer",), "sunny": ("summer",),
    "hot": ("summer",), "campsite": ("camping",), "festivals": ("festival",), "beach": ("summer",), "chilly": ("warm",), "freez": ("warm", "insulated"),
}
KIDS = frozenset(
    "kid kids child children childs childrens son daughter boy boys girl girls junior juniors toddler little youth school "
    "grandson granddaughter grandkids nephew niece".split()
)
# Words that say nothing about which product: asking, people, times, places, filler.
QUERY_STOPWORDS = _STOPWORDS | frozenset(
    "something anything some good nice best cheap cheapest recommend recommendation show sell selling range options"
    " what which got under below less than over above more cheaper pounds quid gbp euros euro eur rupiah rp idr ribu rb"
    " juta jt people person man men women kid"
    " kids child children for about would should could really very also maybe perhaps thing things stuff gear kit"
    " one ones kind sort type any some other different new good nice decent proper little big present gift year old"
    " years age away mum dad mom wife husband loves likes need needs needed bit lot first trip going off heading reckon"
    " suggest suggestion advise advice always feels feel gets get getting her him his she he they them their our your"
    " lakes lake district peak dales highlands scotland wales june july august april september october november"
    " december january february march spring autumn next week weekend's teenage teen teenager partner girlfriend"
    " boyfriend brother sister friend grandad grandma nan see stocking stockings filler fillers christmas birthday xmas"
    " pair pairs".split()
)
# Asking for advice: words the catalogue doesn't know are expected ("a bit of wild camping in the lakes").
ADVICE = re.compile(
    r"\bwhat (?:do|would|should|could|will) (?:i|we|you|he|she|they)\b|\bwhat (?:kit|stuff|gear|things)\b|\bsuggest|\brecommend|"
    r"\breckon\b|\bfor my\b|\bideas?\b|\bstocking fillers?\b|\bpresents?\b|\bgifts?\b",
    re.I,
)
_MONEY_WORDS = {
    "a tenner": "10", "tenner": "10", "a fiver": "5", "fiver": "5", "a hundred": "100", "hundred": "100", "ten": "10",
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80",
    "ninety": "90", "a ton": "100", "a grand": "1000",
}
_MONEY = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _MONEY_WORDS), key=len, reverse=True)) + r")\b", re.I)
_GROWN_UP = re.compile(r"\b(?:teen|teens|teenage|teenager|grown.?up|adult)\b", re.I)
_WORN_WITH = re.compile(r"\b(?:to (?:go|wear) (?:under|over|with) (?:my|his|her|their|a|the)|(?:under|over) (?:my|his|her|their)) [a-z]+\b", re.I)
_NOT_A = re.compile(r"\b(?:not|no|nothing|without|but not)\s+(?:a|an|any|the)?\s*([a-z]{3,})", re.I)
_SLEEPS = re.compile(r"\b(?:for\s+)?(\d{1,2}|two|three|four|five|six)\s*(?:-|\s)?(?:people|person|persons|man|men|berth|sleeper|of us)\b", re.I)
_FAMILY = re.compile(r"\bfamily\b", re.I)
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_AGED = re.compile(r"\b(\d{1,2}) ?(?:year old|yr old|yo|years old|yrs)\b|\b(?:age|aged|is|turning|turns) (\d{1,2})\b(?! ?(?:people|person|quid|pounds|£))", re.I)
# "me and my partner", "the two of us": a tent for two.
_TWO_OF_US = re.compile(r"\b(?:me and (?:my|the) \w+|(?:the )?two of us|us two|for a couple|me and (?:him|her))\b", re.I)


@dataclass(frozen=True)
class Constraints:
    excluded: tuple[str, ...] = ()  # "not a fleece": kinds of product left out
    price_max: int | None = None  # minor units
    price_min: int | None = None
    kids: bool = False
    sleeps: int | None = None
    colour: str | None = None
    currency: str | None = None  # of price_max and price_min: the market's
    foreign: tuple[Decimal, str] | None = None  # a limit in a currency the market does not sell in ("100", "EUR")

    def described(self) -> str:
        """What the limits were, for the reply: " under £50 for kids", " di bawah Rp 500.000"."""
        parts = []  # in the language of the reply they go into; amounts the way the market writes them
        if self.kids:
            parts.append(_("for children"))
        if self.sleeps:
            parts.append(_("for {count} people").format(count=self.sleeps))
        currency = self.currency or "GBP"
        if self.price_max is not None and self.price_min is not None:
            parts.append(_("between {low} and {high}").format(low=format_money(self.price_min, currency, whole=True),
                                                              high=format_money(self.price_max, currency, whole=True)))
        elif self.price_max is not None:
            parts.append(_("under {amount}").format(amount=format_money(self.price_max, currency, whole=True)))
        elif self.price_min is not None:
            parts.append(_("over {amount}").format(amount=format_money(self.price_min, currency, whole=True)))
        return "".join(f" {part}" for part in parts)


def plain_words(text: str) -> str:
    """The message with money words as numbers and shoppers' phrases as catalogue words."""
    text = _WORN_WITH.sub(" ", text)  # "a top to go under my waterproof": the waterproof is not what is wanted
    return shoppers_phrases(_MONEY.sub(lambda match: _MONEY_WORDS[match.group(1).lower()], text))


def read_request(text: str, colours: dict[str, str], currency: str = "GBP") -> tuple[Constraints, str]:
    """The limits in a browsing message and the words left for matching.

    Args:
        text: what the shopper typed, in the engine's English.
        colours: word -> catalogue colour, for "a navy fleece".
        currency: the market's currency: price limits are read in it (bot/catalog/price_limits.py).
    """
    limits, text = read_price_limits(plain_words(text), currency)
    sleeps = None
    if match := _SLEEPS.search(text):
        word = match.group(1).lower()
        sleeps, text = _NUMBER_WORDS.get(word) or int(word), text.replace(match.group(0), " ")
    elif _FAMILY.search(text):
        sleeps = 4
    elif _TWO_OF_US.search(text):
        sleeps = 2
    words = normalise_text(text).split()
    aged = _AGED.search(text)
    age = int(aged.group(1) or aged.group(2)) if aged else None
    # "my nephew is 4", "coat for a 6 year old": children's; "my son is 16", "my teenage son": grown-ups' sizes.
    kids = (any(word in KIDS for word in words) and not _GROWN_UP.search(text) and (age is None or age <= 14)) or (
        age is not None and age <= 14 and bool(aged and aged.group(1)))
    colour = next((colours[word] for word in words if word in colours), None)
    rest = " ".join(word for word in words if word not in KIDS and word not in colours)
    excluded = tuple(match.group(1) for match in _NOT_A.finditer(text))
    rest = " ".join(word for word in rest.split() if word not in excluded)
    return Constraints(excluded, limits.high, limits.low, kids, sleeps, colour, limits.currency, limits.foreign), rest
