"""Reading a shopper's words against what the assistant just said: options, yes/no, escapes, corrections.

Pure functions over text. Shoppers answer a question the way they would answer a person: "2", "the
second one", "navy", "the navy one", "yeah go on", "nah", "pay at the till", "no, I meant blue".
"""

from __future__ import annotations

import re
from typing import Sequence

from rapidfuzz import fuzz

from bot.conversation.state import Button

_WORDS = re.compile(r"[a-z0-9£.']+")

YES = frozenset(
    """yes yeah yea yep yup ya yas ye aye y ok okay k kk sure certainly definitely absolutely correct right
    please go yess yesss alright fine deal perfect great lovely cool""".split()
)
YES_PHRASES = (
    "go on", "go ahead", "do it", "please do", "sounds good", "that's right", "thats right", "of course",
    "why not", "i do", "yes please", "that one", "that's the one", "thats the one", "do that", "lets do it",
    "let's do it", "that works", "works for me", "sure thing", "for sure",
)
NO = frozenset("no nope nah na n nay negative".split())
_NO_FILLER = frozenset("thanks thank you thx ta ok okay im i'm fine good not now its it's all right alright cheers mate".split())
NO_PHRASES = (
    "no thanks", "no thank you", "not now", "not really", "don't", "dont", "do not", "keep it", "leave it",
    "rather not", "i'd rather not", "not yet", "no need", "not today", "changed my mind", "no ta",
)

# "start over", "never mind": drop whatever is pending.
_ESCAPE = re.compile(
    r"^\s*(?:(?:oh|ok|okay|no|actually|um|erm)\W*)?(?:start(?:ing)? (?:over|again)|restart|reset|never ?mind|nvm|"
    r"forget (?:it|that|about it)|cancel (?:that|this)|scrap (?:that|this|it)|stop (?:that|this)|"
    r"don'?t bother|doesn'?t matter|skip (?:it|that))\b[\s.!]*(?:then|thanks|thx|ta|please|pls)?[\s.!]*$",
    re.I,
)
# "no, I meant blue", "actually size 10", "make it stockport", "not that one, the kids one".
_CORRECTION = re.compile(
    r"^\s*(?:(?:no|nope|nah|sorry|oops|oh|ah|um|erm|wait|hang on|wrong\s+(?:store|shop|one|colou?r|size|item))\b[\s,.!-]*)*"
    r"(?:i\s+meant|i\s+mean|meant|actually|make\s+(?:it|that)|"
    r"i\s+want(?:ed)?\s+(?:the\s+)?(?=\w)|i'?d\s+rather|i\s+prefer|"
    r"change\s+(?:it|that)\s+to|not\s+that\s+one|not\s+(?:the\s+)?\w+[\s,]+(?:the\s+)?|instead|rather|i\s+said|"
    r"should\s+(?:be|have\s+been))\b",
    re.I,
)
# A message that opens like a question ("how heavy is it?", "when do you close?"), not an answer.
A_QUESTION = re.compile(r"^\s*(?:how|what|whats|what's|when|why|where|which|who|is|are|does|do|will|would|can you|could you)\b", re.I)
_LEADING_NO = re.compile(r"^\s*(?:no|nope|nah|sorry|oops|wait|hang on)\b[\s,.!-]*", re.I)

_ORDINALS = {
    "first": 1, "1st": 1, "one": 1, "second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3, "three": 3,
    "fourth": 4, "4th": 4, "four": 4, "fifth": 5, "5th": 5, "five": 5, "sixth": 6, "6th": 6, "six": 6,
}
_ORDINAL = re.compile(
    r"^\s*(?:(?:i'?ll\s+(?:take|have)|i\s+want|give\s+me|get\s+me|let'?s\s+(?:go\s+with|do)|go\s+with|try|what\s+about|ok|okay|yes|yeah|cheers|thanks|ta|great|lovely|perfect|fine|right)[\s,.!]+)*"
    r"(?:the\s+|that\s+|this\s+|number\s+|no\.?\s*|option\s+|#)?"
    r"(?P<which>first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|last|\d{1,2})(?:\s+(?:one|option|choice|store|shop|branch))?"
    r"(?:\s+(?:please|pls|plz|thanks|ta))?\s*[.!]*\s*$",
    re.I,
)
_REFERS_BACK = re.compile(r"\b(it|its|them|those|these|that|this|same|one|ones|they)\b", re.I)


_FILLER = frozenset(
    """the a an one ones please pls plz thanks thx ta then ok okay yes yeah yep i i'll ill i'd id take have want
    go with for that this in it is fine will do just mate sure great lovely cool choose pick option colour color
    size store shop""".split()
)


def words(text: str) -> list[str]:
    return _WORDS.findall(text.lower().replace("’", "'"))


def _plain(text: str) -> str:
    return " ".join(words(text)).strip(" .'")


def yes_or_no(text: str) -> bool | None:
    """True for a yes ("yeah go on", "ok"), False for a no ("nah", "no thanks"), None otherwise.

    Only short answers count: "no, I meant blue" is a correction and "yes do you have boots" a new question,
    both left to the caller.
    """
    plain = _plain(text)
    if not plain or len(plain.split()) > 5:
        return None
    if any(plain == phrase or plain.startswith(phrase + " ") for phrase in NO_PHRASES):
        return False
    first = plain.split()[0]
    rest = plain.split()[1:]
    if first in NO and not _CORRECTION.match(text) and (len(rest) <= 1 or all(word in _NO_FILLER for word in rest)):
        return False  # "no", "nah thanks", "no im ok" - but "no, the half zip one" is a correction
    if any(plain == phrase or plain.startswith(phrase + " ") for phrase in YES_PHRASES):
        return True
    # "yes", "ok then", "yes cancel it" - but not "ok back to my basket", which goes on to ask for something.
    if first in YES and len(plain.split()) <= 4:
        return True
    return None


# "reserve the navy one", "add 2", "i'll take it", "put one by for me": the shopper wants it, not just to know.
_WANTS = re.compile(
    r"^\s*(?:(?:ok|okay|yes|yeah|yep|right|great|cool|please|pls|and|also|then|so|can you|could you|can u|could u|"
    r"can i|could i|hmm+|fine|alright|go on|i'?d like to|i would like to|id like to|i want to|i wanna|just|oh|actually|"
    r"hang on|hold on|wait|sorry|oh and|and can you|can you also)[\s,]+)*"
    r"(?:reserve|add|put|hold|book|buy|grab|get me|gimme|order(?!\s+(?:status|number|no|ref))|"
    r"(?:i'?ll|ill|i'?d|id|i will)\s+(?:take|have|get|grab))\b",
    re.I,
)


_GO_AHEAD = re.compile(r"^\s*(?:ok\s+|yes\s+|yeah\s+)?(?:go on|go ahead|go for it|do it|let'?s do it|lets do it)\b", re.I)
_COUNT_OF_THOSE = re.compile(r"\b(?:\d{1,2}|one|two|three|four|five|a couple) of (?:those|them|these|it|that)\b", re.I)
# Asking for it anywhere in the message: "grey in large, can you put 2 pairs aside at stockport".
_PUT_ASIDE = re.compile(
    r"\b(?:put|set|keep)\s+(?:\w+\s+){0,3}(?:aside|by)\b|\b(?:can|could) (?:you|u) (?:reserve|book)\b|\breserve (?:it|them|one|two|\d)\b|"
    r"\bi'?ll (?:take|get|have|grab) (?:it|them|one|those|that|these|\d)\b|(?<!back )(?<!what's )(?<!whats )\b(?:in|into|to) (?:my|the) (?:basket|cart)\b",
    re.I,
)


def wants_it(text: str) -> bool:
    """The words ask to reserve or add something ("add the orange one", "i'll take 2", "2 of those at arndale")."""
    text = text.replace("’", "'")
    if _GO_AHEAD.match(text):
        return True  # "go on then, the red one"
    asks_how = re.match(r"^\s*(?:how|what|whats|why|when|where|which|is|are|anything)\b", text, re.I)  # "how long can you reserve it for?"
    return bool(_WANTS.match(text) or _COUNT_OF_THOSE.search(text) or (_PUT_ASIDE.search(text) and not asks_how))


def is_escape(text: str) -> bool:
    """"start over", "never mind", "cancel that", "forget it": drop the pending step."""
    return bool(_ESCAPE.match(text))


_X_NOT_Y = re.compile(r"\b[\w.]+\s+not\s+(?:the\s+)?[\w.]+\s*[.!?]*\s*$", re.I)


def is_correction(text: str) -> bool:
    """"no, I meant blue", "actually size 10", "make it stockport", "not that one, the kids one", "L not M"."""
    return bool(_CORRECTION.match(text) or _X_NOT_Y.search(text))


_SELF_CORRECTION = re.compile(r"[,.!;]?\s*\b(?:no sorry|no wait|sorry|i mean|i meant|oops|wait)\b[\s,.!]*", re.I)


def last_said(text: str) -> str:
    """"32. no sorry 34" -> "34": what the shopper settled on when they corrected themselves mid-message."""
    parts = [part for part in _SELF_CORRECTION.split(text) if part.strip()]
    return parts[-1] if len(parts) > 1 else text


def without_leading_no(text: str) -> str:
    """"no, blue" -> "blue": the "no" of a correction is not an answer to the question."""
    return _LEADING_NO.sub("", text, count=1)


_NEGATED = re.compile(r"\b(?:not|instead of|rather than|can'?t get to|cannot get to|can'?t do)\s+(?:the\s+|a\s+|an\s+)?[\w.'-]+(?:\s+ones?)?", re.I)


def without_negated(text: str) -> str:
    """"salford not stockport" -> "salford"; "not the boots, the walking shoes" -> ", the walking shoes"."""
    return _NEGATED.sub(" ", text)


def refers_back(text: str) -> bool:
    """"it", "those", "that one": the words point at what is already being discussed."""
    return bool(_REFERS_BACK.search(text))


def ordinal(text: str, count: int) -> int | None:
    """The 1-based position a short reply picks among `count` options ("2", "the second one", "last")."""
    match = _ORDINAL.match(text.replace("’", "'"))
    if not match:
        return None
    which = match.group("which").lower()
    position = count if which == "last" else _ORDINALS.get(which) or (int(which) if which.isdigit() else None)
    return position if position is not None and 1 <= position <= count else None


_NOT_TITLE_WORDS = frozenset(
    "the a an it its is are do does they them those these that this one ones how much what which in at for and or of to "
    "come comes any got have you price cost please size colour color about tell me more then".split()
)


def titles_named(text: str, titles: Sequence[str]) -> list[int]:
    """The positions of the titles that a word of `text` names ("how much is the tent", "the trousers" for
    "Waterproof Overtrousers")."""
    said = [word for word in _WORDS.findall(_plain(text)) if word not in _NOT_TITLE_WORDS and len(word) >= 3]
    named = []
    for index, title in enumerate(titles):
        title_words = _WORDS.findall(_plain(title))
        if any(_same_word(word, title_word) for word in said for title_word in title_words):
            named.append(index)
    return named


def _same_word(said: str, title_word: str) -> bool:
    """"boots" ~ "boot", "trousers" ~ "overtrousers" (the end of a compound)."""
    said, title_word = said.rstrip("s"), title_word.rstrip("s")
    return said == title_word or (len(said) >= 5 and title_word.endswith(said))


_NTH_IN = re.compile(
    r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|last)\b(\s+(?:one|ones|option|store|shop|place|branch))?", re.I
)


def nth_named(text: str, count: int, *, with_noun: bool = False) -> int | None:
    """The 0-based position an ordinal inside a longer message picks among `count` things ("how much is the
    second one", "the address of the last store"); with `with_noun`, only when a noun follows it."""
    said = _NTH_IN.search(text.replace("’", "'"))
    if said is None or (with_noun and not said.group(2)):
        return None
    word = said.group(1).lower()
    position = count - 1 if word == "last" else _ORDINALS[word] - 1
    return position if 0 <= position < count else None


def pick_option(text: str, options: Sequence[Button], *, values: Sequence[str] = ()) -> Button | None:
    """The option a typed reply picks: its title or value, its number, "the second one", or a near spelling.

    Args:
        text: the shopper's reply.
        options: the options offered, in order.
        values: per option, the value it stands for when that differs from its title ("9" for "UK 9").
            An exact value wins over a position, so "9" to a size question means size 9, not option 9.
    """
    plain = _plain(text)
    if not plain or not options:
        return None
    names = [_plain(option.title) for option in options]
    spoken = [_plain(value) for value in values] if len(values) == len(options) else names
    for index, (name, value) in enumerate(zip(names, spoken)):
        if plain in (name, value):
            return options[index]
    position = ordinal(text, len(options))
    if position is not None:
        return options[position - 1]
    stripped = re.sub(r"^(?:the|a|an|in|at|for|by|i'?ll\s+(?:take|have)|i\s+want|go\s+with|let'?s\s+do)\s+", "", plain)
    stripped = re.sub(r"\s+(?:one|ones|please|pls|plz|thanks|ta|then|option)$", "", stripped).strip()
    for index, (name, value) in enumerate(zip(names, spoken)):
        if stripped and stripped in (name, value):
            return options[index]
    # A reply that is one option's whole title among filler words ("the navy one please"); anything more
    # ("navy, at arndale") is left to the caller, which reads every part of it.
    containing = [i for i, name in enumerate(names) if name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", plain)]
    if len(containing) == 1:
        rest = re.sub(rf"(?<!\w){re.escape(names[containing[0]])}(?!\w)", " ", plain).split()
        if all(word in _FILLER for word in rest):
            return options[containing[0]]
    # Words that only one title has ("the fleece one", "the shirt", "the zip off ones").
    said = [word for word in stripped.split() if word not in _FILLER]
    if said:
        having = [i for i, name in enumerate(names) if all(re.search(rf"(?<!\w){re.escape(word)}s?(?!\w)", name) for word in said)]
        if len(having) == 1:
            return options[having[0]]
    # A near spelling of one title ("pay at pikup", "didsbry").
    if len(stripped) >= 4:
        scored = sorted(((fuzz.ratio(stripped, name), i) for i, name in enumerate(names) if name), reverse=True)
        if scored and scored[0][0] >= 85 and (len(scored) == 1 or scored[1][0] < scored[0][0] - 5):
            return options[scored[0][1]]
    return None


__all__ = [
    "A_QUESTION",
    "wants_it",
    "is_correction",
    "is_escape",
    "ordinal",
    "pick_option",
    "titles_named",
    "refers_back",
    "without_leading_no",
    "last_said",
    "nth_named",
    "without_negated",
    "words",
    "yes_or_no",
]
