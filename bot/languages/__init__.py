"""The languages the assistant speaks: which language a message is in (detection), its words mapped to the
engine's English (terms), and replies translated into the conversation's language (catalogue).

No Rasa imports: the conversation engine and the servers use this package alike.
"""

from bot.languages.catalogue import N_, _, current, speaking
from bot.languages.detection import SUPPORTED, conversation_language, detect, foreign_language, no_word_known

__all__ = ["N_", "SUPPORTED", "_", "conversation_language", "current", "detect", "foreign_language", "no_word_known", "speaking"]
