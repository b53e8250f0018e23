"""Which language a message is in, so a shopper writing in a language the assistant doesn't speak is told
which ones it does, instead of getting a wrong answer.

lingua-language-detector ships its models in the wheel (no download at run time). Detection is restricted
to the languages shoppers of this retailer's markets write in, plus a few common European ones; short
messages are ambiguous ("ok", "hi"), so only a confident, several-word detection counts.
"""

from __future__ import annotations

import re
import threading

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

SPOKEN = frozenset({Language.ENGLISH})
_CANDIDATES = (
    Language.ENGLISH, Language.INDONESIAN, Language.FINNISH, Language.VIETNAMESE, Language.HINDI,
    Language.FRENCH, Language.GERMAN, Language.SPANISH, Language.ITALIAN, Language.PORTUGUESE, Language.DUTCH,
    Language.POLISH, Language.TURKISH, Language.SWEDISH, Language.ARABIC, Language.CHINESE, Language.URDU,
    Language.BENGALI, Language.TAMIL, Language.THAI,
)
# English must be all but ruled out, and one other language clearly ahead (a single word needs more).
MAX_ENGLISH = 0.05
MIN_CONFIDENCE = 0.60
MIN_CONFIDENCE_ONE_WORD = 0.75
# Hindi typed in Latin letters (common on Indian SMS): lingua reads it as English, these words give it away.
_HINGLISH = frozenset(
    "kya hai hain aap aapke apka mujhe chahiye kitna kitne kaise nahi nahin mera meri kab kahan bhai haan ji "
    "kripya dhanyavad shukriya accha acha theek thik kyun kaun hoga milega kar karo batao bataiye wala wali".split()
)
_WORD = re.compile(r"[^\W\d_]+", re.U)
_detector: LanguageDetector | None = None
_lock = threading.Lock()


def detector() -> LanguageDetector:
    global _detector
    with _lock:
        if _detector is None:
            _detector = LanguageDetectorBuilder.from_languages(*_CANDIDATES).with_preloaded_language_models().build()
    return _detector


def foreign_language(text: str) -> str | None:
    """The name of the language `text` is confidently written in, when the assistant doesn't speak it."""
    words = _WORD.findall(text.lower())
    if not words or (len(words) == 1 and words[0].isascii()):
        return None  # one plain word ("klarna", "sininen") is too little to tell a language from a name
    if sum(word in _HINGLISH for word in words) >= 2:
        return "Hindi"
    values = detector().compute_language_confidence_values(text)
    english = next((value.value for value in values if value.language is Language.ENGLISH), 0.0)
    best = values[0]
    needed = MIN_CONFIDENCE_ONE_WORD if len(words) == 1 else MIN_CONFIDENCE
    if best.language in SPOKEN or english > MAX_ENGLISH or best.value < needed:
        return None
    return best.language.name.capitalize()
