"""Which language a message is in, and which language the conversation goes on in.

Three signals, because shoppers' messages are short and mixed ("ada trailblazer coklat 42 di arndale ga?"):
- how often each supported language uses the message's words, learnt from the NLU training examples
  written in it, with the catalogue's product and store names left out (bot/languages/vocabulary.py):
  "cheers mate", "mksh min", "onks teil" are too short for lingua but plain to the examples;
- marker words per language (data/languages/<code>.yml `markers`: function words and SMS spellings that
  are not English product or place names, e.g. "ga", "yg", "onko", "kiitos");
- lingua-language-detector (its models ship in the wheel), restricted to the supported languages plus the
  other languages shoppers of these markets write in, so an unsupported one can be named.

A conversation keeps its language unless the shopper clearly switches: a single English word or a
language-neutral answer ("navy", "9", a product or store name) does not turn an Indonesian conversation
into English; a whole English sentence, or an explicit request ("English please", "bahasa indonesia saja",
"puhu suomea"), does.
"""

from __future__ import annotations

import math
import re
import threading
from functools import lru_cache
from pathlib import Path

import yaml
from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from bot.languages.vocabulary import vocabulary, without_catalogue_names, words_of

LANGUAGES_DIR = Path(__file__).resolve().parents[2] / "data" / "languages"
SUPPORTED = ("en", "id", "fi")
ENGLISH = "en"
NAMES = {"en": "English", "id": "Bahasa Indonesia", "fi": "suomi"}
_LINGUA_SUPPORTED = {Language.ENGLISH: "en", Language.INDONESIAN: "id", Language.FINNISH: "fi"}
# Malay is written almost like Indonesian: it counts as Indonesian rather than as a language we don't speak.
_COUNTS_AS = {Language.MALAY: "id"}
_OTHERS = (
    Language.VIETNAMESE, Language.HINDI, Language.FRENCH, Language.GERMAN, Language.SPANISH, Language.ITALIAN,
    Language.PORTUGUESE, Language.DUTCH, Language.POLISH, Language.TURKISH, Language.SWEDISH, Language.ARABIC,
    Language.CHINESE, Language.URDU, Language.BENGALI, Language.TAMIL, Language.THAI, Language.ESTONIAN,
)
# Thresholds on lingua's relative confidences: a supported language needs to be clearly ahead; a language
# we don't speak needs English all but ruled out (a misread English message must not get "I speak …").
MIN_SUPPORTED = 0.25
MIN_SUPPORTED_SHARE = 0.75
MIN_FOREIGN = 0.60
MIN_FOREIGN_ONE_WORD = 0.75
MAX_ENGLISH_FOR_FOREIGN = 0.05
# Hindi typed in Latin letters (common on Indian SMS): lingua reads it as English, these words give it away.
_HINGLISH = frozenset(
    "kya hai hain aap aapke apka mujhe chahiye kitna kitne kaise nahi nahin mera meri kab kahan bhai haan ji "
    "kripya dhanyavad shukriya accha acha theek thik kyun kaun hoga milega kar karo batao bataiye wala wali".split()
)
# Vietnamese typed without its diacritics (as on many phones): lingua can't place it, these words give it away.
_VIETNAMESE_PLAIN = frozenset(
    "khong ko cua roi nhieu giay hang dau gio bao minh duoc nay nhe mua vay toi ban ao khoac gia cho hoi co cam on "
    "anh chi em oi day".split()
)
# The message's words the examples know must be at least this share of its words, and the best language this
# likely given them, for the examples to decide; otherwise markers and lingua do.
MIN_KNOWN_SHARE = 0.5
MIN_LEARNT = 0.7
# A language we don't speak by lingua's spread: Spanish and Portuguese share the mass of "donde esta mi pedido".
MIN_FOREIGN_MASS = 0.7
MAX_ENGLISH_FOR_FOREIGN_MASS = 0.1
# Two typed-at-random words ("blorf qwzx", "asdf ghjk") also spread lingua over languages we don't speak, with
# a weak leader (0.19-0.31); two real words lead more clearly ("hola amigo" 0.35, "ciao bella" 0.38). Below
# this, a two-word message is a miss ("Sorry, I didn't quite get that"), not a language to apologise for.
MIN_FOREIGN_LEAD_TWO_WORDS = 0.33
_WORD = re.compile(r"[^\W\d_]+", re.U)
# "English please", "in english", "bahasa indonesia saja", "pake bahasa inggris", "puhu suomea", "suomeksi".
_ASKS_FOR = (
    ("en", re.compile(r"\b(?:(?:in|speak|use|talk|write|reply in|answer in|switch to|change to) english|english(?: please| pls| plz)?$|"
                      r"(?:bahasa )?inggris(?: saja| aja| dong| ya)?$|pake bahasa inggris|puhu englantia|englanniksi)\b", re.I)),
    ("id", re.compile(r"\b(?:bahasa indonesia|pakai bahasa|pake bahasa(?! inggris)|(?:in|speak|use|switch to) (?:bahasa|indonesian)|indonesian(?: please| pls)?$)\b", re.I)),
    ("fi", re.compile(r"\b(?:puhu(?:tko|isitko)? suomea|suomeksi|suomea kiitos|(?:in|speak|use|switch to) finnish|finnish(?: please| pls)?$)\b", re.I)),
)
_detector: LanguageDetector | None = None
_lock = threading.Lock()
_warming: threading.Thread | None = None


def detector() -> LanguageDetector:
    global _detector
    with _lock:
        if _detector is None:
            languages = (*_LINGUA_SUPPORTED, *_COUNTS_AS, *_OTHERS)
            _detector = LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()
    return _detector


def warm_up_in_background() -> threading.Thread | None:
    """Loads what reading a message needs on a daemon thread, once per process; None when already started.

    Built on first use, lingua's models (~5 s of CPU on the 2-core VM, half a minute under load) and the
    training examples' vocabulary made the first shopper after every start wait, past Rasa's wait for an
    action under load. Started with the server, the loading overlaps Rasa's own model loading; a message
    that arrives meanwhile waits on the same lock instead of building a second copy.
    """
    global _warming

    def load() -> None:
        detector()
        no_word_known("hello there")  # the vocabulary of the examples and the catalogue's names

    with _lock:
        if _detector is not None or _warming is not None:
            return None
        _warming = threading.Thread(target=load, name="languages-warm-up", daemon=True)
    _warming.start()
    return _warming


@lru_cache(maxsize=None)
def markers(language: str) -> frozenset[str]:
    """The marker words of a supported language (data/languages/<code>.yml)."""
    path = LANGUAGES_DIR / f"{language}.yml"
    if not path.exists():
        return frozenset()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    words = {str(word).lower() for word in raw.get("markers") or ()}
    if language == "fi":  # every Finnish form of a shopping word is Finnish too ("mustan", "ruskeana")
        words |= {form.strip().lower() for forms in (raw.get("terms") or {}) for form in str(forms).split("|") if " " not in form}
        # typed without ä/ö ("loytyyko"): long enough not to be an English or Indonesian word
        words |= {word.replace("ä", "a").replace("ö", "o") for word in list(words) if len(word) >= 6}
    return frozenset(words)


@lru_cache(maxsize=None)
def marker_phrases(language: str) -> tuple[str, ...]:
    """Phrases of English words a language uses as its own (Indonesian shop talk: "ready stock")."""
    path = LANGUAGES_DIR / f"{language}.yml"
    raw = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
    return tuple(str(phrase).lower() for phrase in raw.get("marker_phrases") or ())


_FINNISH_LETTERS = re.compile(r"[äö]")
_UMLAUT_LANGUAGES = frozenset({Language.GERMAN, Language.SWEDISH, Language.ESTONIAN, Language.TURKISH})
_FINNISH_QUESTION = re.compile(r"\w{3,}(?:ko|kö)$")  # "toimitatteko", "voitteko", "löytyykö"


def _marks(word: str, language: str, letters: bool = True) -> bool:
    """Whether `word` tells `language`: a marker word, or (Finnish) ä/ö or a -ko/-kö question ending, which
    neither English nor Indonesian words have ("toko" is too short to count)."""
    if word in markers(language):
        return True
    return language == "fi" and ((letters and bool(_FINNISH_LETTERS.search(word))) or (len(word) >= 6 and bool(_FINNISH_QUESTION.match(word))))


def asked_for(text: str) -> str | None:
    """The language the shopper explicitly asks to be answered in, if any."""
    cleaned = text.strip().lower().rstrip("!.? ")
    for language, pattern in _ASKS_FOR:
        if pattern.search(cleaned):
            return language
    return None


def only_asks_for_language(text: str) -> str | None:
    """The language asked for when that is all the message says ("English please", "bahasa indonesia saja")."""
    requested = asked_for(text)
    # "pake bahasa indonesia bisa?", "can you speak english?": a question, but still only about the language.
    return requested if requested is not None and len(_WORD.findall(text)) <= 5 else None


def detect(text: str) -> str | None:
    """The language `text` is confidently in: a supported code ("en", "id", "fi"), another language's English
    name ("Vietnamese"), or None when the message is too short or neutral to tell ("ok", "9", "navy")."""
    words = _WORD.findall(text.lower())
    if not words:
        return None
    if sum(word in _HINGLISH for word in words) >= 2:
        return "Hindi"
    vietnamese = sum(word in _VIETNAMESE_PLAIN for word in words)
    if vietnamese >= 3 and 2 * vietnamese >= len(words):
        return "Vietnamese"
    # Marker words and lingua first (they read whole sentences, replies included); where they can't tell, or
    # name a language we don't speak for a short message the examples know ("bot bego"), the examples decide.
    found = _by_markers_and_lingua(text, words)
    if found in SUPPORTED:
        return found
    return _by_examples(text) or found


def _by_markers_and_lingua(text: str, words: list[str]) -> str | None:
    values = detector().compute_language_confidence_values(text)
    confidences = {value.language: value.value for value in values}
    english = confidences.get(Language.ENGLISH, 0.0)
    # ä/ö tell Finnish from English and Indonesian, not from German, Swedish, Estonian or Turkish.
    letters = not (values[0].language in _UMLAUT_LANGUAGES and values[0].value >= 0.3)
    said = " ".join(words)
    votes = sorted(((sum(_marks(word, code, letters) for word in words) + sum(2 for phrase in marker_phrases(code) if phrase in said), code)
                    for code in SUPPORTED), reverse=True)
    (most, marked), (second, _other) = votes[0], votes[1]
    # Marker words decide when one language has clearly more of them (English needs two: "i", "u" and "di"
    # are short), unless lingua is sure a longer message is plain English with a single marker in it.
    if marked == ENGLISH and most >= max(2, second + 2):
        return ENGLISH
    if marked != ENGLISH and most > second and not (len(words) >= 4 and english >= 0.9 and most == 1):
        return marked
    if len(words) == 1 and words[0].isascii():
        return None  # one plain word ("klarna", "navy", "arndale") is too little to tell a language from a name
    top = values[0]
    code = _LINGUA_SUPPORTED.get(top.language) or _COUNTS_AS.get(top.language)
    if code is not None:
        # Confidences are spread over every candidate: a supported language needs a clear lead over the other
        # supported ones (Dutch and German take a share of any English sentence).
        ours = sum(value for language, value in confidences.items() if language in _LINGUA_SUPPORTED or language in _COUNTS_AS)
        share = sum(value for language, value in confidences.items()
                    if (_LINGUA_SUPPORTED.get(language) or _COUNTS_AS.get(language)) == code) / (ours or 1.0)
        return code if share >= MIN_SUPPORTED_SHARE and top.value >= MIN_SUPPORTED and len(words) >= 2 else None
    needed = MIN_FOREIGN_ONE_WORD if len(words) == 1 else MIN_FOREIGN
    if english <= MAX_ENGLISH_FOR_FOREIGN and top.value >= needed:
        return top.language.name.capitalize()
    foreign = sum(value for language, value in confidences.items() if language not in _LINGUA_SUPPORTED and language not in _COUNTS_AS)
    clear_lead = len(words) > 2 or top.value >= MIN_FOREIGN_LEAD_TWO_WORDS
    if len(words) >= 2 and foreign >= MIN_FOREIGN_MASS and english <= MAX_ENGLISH_FOR_FOREIGN_MASS and clear_lead:
        return top.language.name.capitalize()
    return None


def _by_examples(text: str) -> str | None:
    """The supported language the training examples' words make clearly most likely, if they know enough of
    the message's words (catalogue names aside) to tell."""
    # A size letter ("L", "M") is in every language's examples.
    words = [word for word in words_of(without_catalogue_names(text)) if len(word) > 1]
    learnt = vocabulary()
    known = sum(learnt.knows(word) for word in words)
    if not known or known < MIN_KNOWN_SHARE * len(words):
        return None
    scores = learnt.log_likelihoods(words)
    best = max(scores, key=scores.__getitem__)
    likelihood = 1.0 / sum(math.exp(score - scores[best]) for score in scores.values())
    return best if likelihood >= MIN_LEARNT else None


def foreign_language(text: str) -> str | None:
    """The name of the language `text` is confidently written in, when the assistant doesn't speak it."""
    language = detect(text)
    return language if language is not None and language not in SUPPORTED else None


def no_word_known(text: str) -> bool:
    """Whether none of two or more of the message's words (catalogue names, numbers and single letters aside)
    appears in any language's training examples: typed-at-random text ("qwertyuiop zzz"), which the classifier
    may still file under some intent. One unknown word ("defibrillator") is left to the classifier."""
    words = [word for word in words_of(without_catalogue_names(text)) if len(word) > 1 and word.isalpha()]
    learnt = vocabulary()
    return len(words) >= 2 and not any(learnt.knows(word) for word in words)


def conversation_language(previous: str | None, text: str) -> str:
    """The language to answer `text` in, given the conversation's language so far."""
    previous = previous if previous in SUPPORTED else ENGLISH
    requested = asked_for(text)
    if requested is not None:
        return requested
    language = detect(text)
    if language is None or language not in SUPPORTED or language == previous:
        return previous
    words = _WORD.findall(text.lower())
    if language == ENGLISH:
        # Back to English only on a real English sentence, not on a word or two ("ok", "navy blue", "XL please").
        return ENGLISH if len(words) >= 3 else previous
    if not any(_marks(word, language) for word in words) and len(words) < 3:
        return previous  # a word or two without a marker word ("kinder fleece", "ya") leave the conversation's language alone
    return language
