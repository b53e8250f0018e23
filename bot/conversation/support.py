"""Support answers and everything around the shop's topics: greetings, thanks, help, the scope reply for
questions the shop can't answer, a calm answer to abuse, the languages it speaks, and "I didn't get that".

An FAQ answer needs a confident topic; figures in answers (hold times, the phone number) come from the
settings at the time of asking, never from text that can drift (see data/responses/faq.yml placeholders).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from bot.kernel.config import Settings
from bot.conversation.heard import payload
from bot.conversation.state import Button, Question
from bot.conversation.turn import Turn
from bot.markets.rules import Market
from bot.languages.wording import human_list
from bot.languages import N_, _, current, speaking
from bot.languages.catalogue import translate_to

FAQ_FILE = Path(__file__).resolve().parents[2] / "data" / "responses" / "faq.yml"
FAQ_DIR = Path(__file__).resolve().parents[2] / "data" / "languages" / "faq"  # the answers in other languages
# Below these, a support question is not answered from the FAQ: a wrong answer is worse than asking.
FAQ_MIN_INTENT = 0.45
FAQ_MIN_TOPIC = 0.40
# Both must be sure together: a support question the classifier is only fairly sure of, on a topic it is only
# fairly sure of, is more often something else ("how long does it take to walk a mile").
FAQ_MIN_JOINT = 0.55
FAQ_CLARIFY_INTENT = 0.75
FAQ_CLARIFY_TOPIC = 0.30

HELP_BUTTONS = (
    Button(N_("Check stock"), payload("check_stock")),
    Button(N_("Opening hours"), payload("ask_hours")),
    Button(N_("Nearest store"), payload("ask_nearest_store")),
    Button(N_("My order"), payload("order_status")),
)
TOPIC_TITLES = {
    "returns": N_("Returns"), "exchanges": N_("Exchanges"), "refund_timing": N_("Refund times"), "click_and_collect": N_("Click and collect"),
    "hold_time": N_("How long items are held"), "pickup_what_to_bring": N_("What to bring"), "someone_else_collecting": N_("Someone else collecting"),
    "payment_methods": N_("Ways to pay"), "pay_at_pickup": N_("Paying at pickup"), "gift_cards": N_("Gift cards"), "price_match": N_("Price match"),
    "delivery": N_("Delivery"), "size_guide": N_("Sizes"), "warranty": N_("Guarantee"), "contact": N_("Contact us"), "privacy": N_("Your data"),
    "opt_out": N_("Stopping messages"), "order_changes": N_("Changing an order"), "faulty_items": N_("Faulty items"),
    "student_discount": N_("Discounts"), "loyalty": N_("Fellside Club"), "store_events": N_("Events"), "repairs": N_("Repairs"), "sale": N_("Sales"),
}

GREETING = N_(
    "Hi! I'm the {retailer} assistant. I can check stock at our stores, reserve items for click and collect, "
    "track your order and answer questions. What are you looking for?"
)
SCOPE = N_(
    "Sorry, that's not something I can help with - I'm the {retailer} shop assistant. I can check stock at our "
    "stores, reserve items for click and collect, track or cancel an order, give store hours and answer questions "
    "about returns, payments and collection."
)
WHAT_WE_SELL = N_(
    "{retailer} sells outdoor clothing and gear - jackets, fleeces, boots, bags, tents and camping kit. "
    "I can check stock at our stores, reserve items for click and collect and answer questions."
)
HELP = N_(
    "I'm the {retailer} virtual assistant. I can check stock at our stores, reserve items for click and collect, track or cancel your order, give opening "
    "hours and addresses, find your nearest store and answer questions about returns and payments. "
    'Try: "do you have the Kinder fleece in navy, M at Arndale?"'
)
CALM = N_(
    "I'm sorry this is frustrating. I'm here to help with stock, orders and store questions - tell me what you need, "
    'or say "talk to a person" and I\'ll get someone from our team.'
)
LANGUAGES = N_("Sorry, I speak English, Bahasa Indonesia and Finnish (suomi). Ask me about stock, your order or our stores in "
               "one of them and I'll help.")
REPHRASE = N_("Sorry, I didn't quite get that. Could you say it another way?")
STILL_LOST = N_("Sorry, I'm still not getting it.")

_ABUSE = re.compile(
    r"\b(?:f+u+c+k(?:ing|in|ed|er|ers|s)?|f\*+(?:k|ck|ing|in)?\w*|sh[i1]te?|shitty|crap|crappy|stupid|idiots?|useless|"
    r"morons?|dumb(?:ass)?|rubbish bot|bollocks|bastards?|twats?|wank(?:er|ers)?|arse(?:hole)?s?|assholes?|piss(?:ed)? off|"
    r"bloody useless|piece of (?:shit|crap|junk)|pathetic|garbage|trash|this sucks|you suck|u suck|hate you|shut up|"
    r"screw you|bitch(?:es)?|cunts?|dickheads?|wtf|muppets?|annoying|pointless|waste of (?:time|space)|hate (?:you|u|this)|"
    r"bin this|zero stars|worst (?:bot|service|assistant|shop)|thick|clueless|incompetent|shite?bot)\b",
    re.I,
)


@lru_cache(maxsize=1)
def _faq_texts() -> dict[str, str]:
    responses = yaml.safe_load(FAQ_FILE.read_text())["responses"]
    return {name.removeprefix("utter_faq/"): variants[0]["text"] for name, variants in responses.items()}


def _hours_phrase(hours: int) -> str:
    if hours % 24 == 0 and hours >= 48:
        return _("{hours} hours ({days} days)").format(hours=hours, days=hours // 24)
    return (_("{hours} hours") if hours != 1 else _("{hours} hour")).format(hours=hours)


def fill(text: str, settings: Settings) -> str:
    """Puts the live settings into an answer's placeholders ({unpaid_hold}, {paid_hold}, {support_phone}, {retailer})."""
    minutes = settings.hold_minutes_unpaid
    unpaid = _hours_phrase(minutes // 60) if minutes % 60 == 0 else _("{minutes} minutes").format(minutes=minutes)
    values = {
        "unpaid_hold": unpaid,
        "paid_hold": _hours_phrase(settings.hold_hours_paid),
        "support_phone": settings.support_phone,
        "retailer": settings.retailer_name,
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), _(text))


GENERIC_METHODS = (N_("card"), N_("bank transfer"))  # the method names of bot/domain/markets.py that are words


def market_payment_methods(market: Market) -> str:
    """The ways to pay a market offers, named from its settings (markets.csv), not from a text file."""
    return _(
        "In {market} you can pay by the link we send with {methods}. At stores that offer it you can also pay when you collect."
    ).format(market=market.name, methods=human_list([_(name) for name in market.method_names()]))  # "card" is a word; brands stay


def faq_answer(topic: str, settings: Settings, market: Market | None = None, language: str | None = None) -> str | None:
    """The support answer on `topic` in `language` (default: the conversation's), else in English.

    The ways to pay are the retailer's text in the default market, and the market's own methods in any
    other (so Jakarta is never told about Klarna and Clearpay)."""
    language = language or current()
    with speaking(language):  # "48 hours" in the answer's language too
        if topic == "payment_methods" and market is not None and market.id != settings.default_market:
            return market_payment_methods(market)
        text = (_faq_texts_in(language) if language != "en" else {}).get(topic) or _faq_texts().get(topic)
        return fill(text, settings) if text else None


@lru_cache(maxsize=None)
def _faq_texts_in(language: str) -> dict[str, str]:
    """The retailer's support answers in one language: data/languages/faq/<code>.yml, like data/responses/faq.yml."""
    path = FAQ_DIR / f"{language}.yml"
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(name).removeprefix("utter_faq/"): str(texts[0]["text"]) for name, texts in (raw.get("responses") or {}).items() if texts}


# Support topics the words name outright, whatever the classifier guessed (checked in this order).
_TOPIC_NAMED = (
    ("exchanges", re.compile(r"\b(?:swap|exchange)\b.*\b(?:size|colour|color|it|them|receipt|present|gift)\b|\bwrong size\b", re.I)),
    ("returns", re.compile(r"\b(?:need|have|bring|without|lost) (?:the |my |a )?receipts?\b", re.I)),
    ("returns", re.compile(r"\b(?:take|bring|send) (?:it|them|this|that|these|those) back\b|\b(?:doesn'?t|does not|don'?t|didn'?t) (?:like|suit)\b|"
                           r"\breturn (?:it|them|this|that|these)\b", re.I)),
    ("price_match", re.compile(r"\bprice ?match\w*\b|\bmatch (?:the|their|a|that) price\b|\bcheaper (?:in|at) (?:another|a different|other)\b", re.I)),
    ("size_guide", re.compile(r"\bcome up (?:small|big|large|short|long)\b|\bbetween (?:an? |sizes? |uk )\d{1,2}(?:\.5)? and (?:an? )?\d|\bwhat size (?:should|do|would) i\b|"
                              r"\b(?:true|fit) to size\b|\bsize guide\b|\bhalf sizes\b", re.I)),
    ("hold_time", re.compile(r"\b(?:don'?t|do not|can'?t|cannot|won'?t) (?:turn up|show up|make it|get there|come in)\b|"
                             r"\bif i reserve (?:it )?(?:today|now)\b.*\b(?:get|collect|pick)\b|\bhow long (?:will|do|would) (?:you|u) (?:keep|hold)\b", re.I)),
    ("gift_cards", re.compile(r"\bgift ?(?:cards?|vouchers?)\b|\bvouchers?\b", re.I)),
    ("warranty", re.compile(r"\b(?:guarantee[ds]?|warrant(?:y|ies))\b", re.I)),
    ("student_discount", re.compile(r"\b(?:student|nhs|blue light|armed forces|unidays|totum)\b|\bdiscounts?\b", re.I)),
    ("loyalty", re.compile(r"\b(?:loyalty|fellside club|reward points?|my points|points? (?:on|for|count))\b", re.I)),
    ("privacy", re.compile(r"\b(?:safe|secure|securely)\b.*\b(?:pay|paying|link|card)\b|\b(?:see|store|keep|get) my (?:card|bank) details\b", re.I)),
    ("pickup_what_to_bring", re.compile(r"\b(?:need|bring|show)\b.*\b(?:my|his|her|their|bank|payment|photo)\s+(?:bank\s+)?(?:card|id|passport|licence|license)\b", re.I)),
)


def topic_named(text: str) -> str | None:
    """The support topic the words themselves name ("how long is the guarantee", "can she take it back")."""
    return next((topic for topic, words in _TOPIC_NAMED if words.search(text)), None)


def is_abusive(text: str) -> bool:
    return bool(_ABUSE.search(text))


def greet(turn: Turn) -> None:
    turn.say(fill(GREETING, turn.shop.settings), HELP_BUTTONS)


def show_help(turn: Turn) -> None:
    turn.say(fill(HELP, turn.shop.settings), HELP_BUTTONS)


def scope(turn: Turn) -> None:
    turn.say(fill(SCOPE, turn.shop.settings), HELP_BUTTONS)


def languages(turn: Turn) -> None:
    """The languages it speaks, in English and, when the conversation is in another one, in that one too."""
    english = translate_to("en", LANGUAGES)
    own = _(LANGUAGES)
    turn.say(english if own == english else f"{english}\n{own}")


def faq(turn: Turn, market: Market | None = None) -> bool:
    """Answers a support question when its topic is clear; asks which topic when two are close.

    Returns False when the topic is too unsure to answer or ask about (the caller gives the scope reply).
    """
    heard = turn.heard
    topic = heard.entity("topic") if heard.tapped else heard.faq_topic
    sure = heard.confidence >= FAQ_MIN_INTENT and heard.faq_confidence >= FAQ_MIN_TOPIC
    if topic and (heard.tapped or (sure and heard.confidence * heard.faq_confidence >= FAQ_MIN_JOINT)):
        answer = faq_answer(topic.removeprefix("faq/"), turn.shop.settings, market)
        if answer:
            turn.done(goal="faq", topic=topic)
            turn.say(answer)
            return True
    candidates = [name.removeprefix("faq/") for name, score in heard.faq_ranking if score >= FAQ_CLARIFY_TOPIC][:3]
    if heard.confidence >= FAQ_CLARIFY_INTENT and len(candidates) >= 2:
        buttons = tuple(Button(TOPIC_TITLES.get(name, name.replace("_", " ").capitalize()), payload("faq", topic=name))
                        for name in candidates)
        turn.ask(Question("faq", "topic", buttons, data={"soft": True}), "Which of these is your question about?")
        return True
    return False
