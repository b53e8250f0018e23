"""The conversation engine: reads each shopper message against what the assistant is waiting for, keeps the
product in focus, and answers from the commerce core. Importable without Rasa; `actions/conversation.py`
is the thin bridge from Rasa's tracker to `respond`.
"""

from bot.conversation.engine import respond
from bot.conversation.heard import Heard, parse_payload, payload
from bot.conversation.state import Button, DialogueState, Focus, Question
from bot.conversation.turn import Outcome, Say

__all__ = ["Button", "DialogueState", "Focus", "Heard", "Outcome", "Question", "Say", "parse_payload", "payload", "respond"]
