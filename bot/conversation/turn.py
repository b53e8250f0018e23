"""One turn of the conversation: what the shopper sent, the state, and what the assistant says back."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from bot.conversation.heard import Heard
from bot.conversation.state import Button, DialogueState, Question
from bot.funnel.facts import tag as funnel_tag
from bot.identity.customers import PHONE_CHANNELS
from bot.messaging.turn_effects import effect_key
from bot.languages import _
from bot.languages import current as language_spoken
from bot.kernel.shop import Shop

WEB_CHANNEL = "webchat"


def translated(buttons: Sequence[Button]) -> tuple[Button, ...]:
    """Button titles in the conversation's language (product and store names have no translation and stay)."""
    return tuple(Button(_title(button.title), button.payload) for button in buttons)


def _title(title: str) -> str:
    """A button title in the conversation's language; a catalogue colour ("Navy") reads as its word, capitalised."""
    said = _(title)
    if said == title and title[:1].isupper():
        lowered = _(title.lower())
        if lowered != title.lower():
            return lowered[:1].upper() + lowered[1:]
    return said


@dataclass(frozen=True)
class Say:
    """One message from the assistant, with the choices it offers as buttons."""

    text: str
    buttons: tuple[Button, ...] = ()
    # Structured content a rich channel may draw (web chat: product cards); the text says it all anyway.
    card: dict[str, Any] | None = None


@dataclass(frozen=True)
class Outcome:
    replies: tuple[Say, ...]
    state: DialogueState
    pause: bool = False  # a person takes over: the assistant stays silent until they hand back
    funnel: tuple[dict[str, Any], ...] = ()  # what this turn did for the funnel figures (bot/funnel/facts.py)


@dataclass
class Turn:
    """The working state of one turn; capability modules read `heard`, change `state` and `say` things."""

    shop: Shop
    heard: Heard
    state: DialogueState
    replies: list[Say] = field(default_factory=list)
    pause: bool = False
    asked: bool = False  # this turn asked a question of its own (so the interrupted one waits)
    facts: dict[str, Any] = field(default_factory=dict)  # lookups made once per turn (e.g. the catalogue parse)
    effects: dict[str, int] = field(default_factory=dict)  # side effects keyed so far this turn, per kind
    funnel: list[dict[str, Any]] = field(default_factory=list)  # funnel tags (stock question, add, order, handoff)

    @property
    def text(self) -> str:
        return self.heard.text

    @property
    def conversation_id(self) -> str:
        return self.heard.conversation_id

    @property
    def on_phone(self) -> bool:
        """SMS and WhatsApp: no buttons (options are numbered), and the chat is the shopper's phone."""
        return self.heard.channel in PHONE_CHANNELS

    @property
    def on_web(self) -> bool:
        return self.heard.channel == WEB_CHANNEL

    def effect_key(self, kind: str) -> str | None:
        """The key of this turn's next `kind` effect ("add", "order"), the same when the message is handled again.

        A turn handles its message the same way each time, so the n-th add of a replay is the n-th add of
        the first handling ("a chair and a stove" adds two).
        """
        self.effects[kind] = self.effects.get(kind, 0) + 1
        return effect_key(self.conversation_id, self.heard.message_id, f"{kind}#{self.effects[kind]}")

    def count(self, stage: str, key: str | None) -> None:
        """Tags the turn for the funnel figures; `key` is the same when the message is handled again, so a
        replayed turn counts once (None: the message has no id, and the event's own identity is used)."""
        self.funnel.append(funnel_tag(stage, key))

    def say(self, text: str, buttons: Sequence[Button] = (), card: dict[str, Any] | None = None) -> None:
        """Says `text` in the conversation's language: a constant text is translated here; a text with values
        is translated where it is filled in (`_("…{name}…").format(…)`), so translating twice changes nothing."""
        self.replies.append(Say(_(text), translated(buttons), card if self.on_web else None))

    def ask(self, question: Question, text: str, *, show_options: bool = True, remember: str | None = None) -> None:
        """Asks `question` and records it as what the assistant now waits for.

        The same question asked again in a row counts up `asked`, so the engine can stop repeating itself.

        Args:
            remember: the wording to use when the question is asked again after an interruption
                (default: `text`).
        """
        text, remember = _(text), (_(remember) if remember else None)
        current = self.state.question
        if current is not None and (current.goal, current.about) == (question.goal, question.about):
            question = replace(question, asked=current.asked + 1)
        # Kept so the question can be asked again after an interruption ("Back to …"); typed option titles are
        # read in the conversation's language, so the options are kept as shown.
        question = replace(question, options=translated(question.options),
                           data={**question.data, "text": remember or text, "language": language_spoken()})
        self.state = self.state.asking(question)
        self.asked = True
        self.say(text, question.options if show_options else ())

    def done(self, **last: Any) -> None:
        """The pending question is answered: nothing waits any more; `last` records what was done."""
        self.state = replace(self.state, question=None, last=dict(last) if last else self.state.last)

    def outcome(self) -> Outcome:
        return Outcome(tuple(self.replies), self.state, self.pause, tuple(self.funnel))
