"""What the assistant remembers between a shopper's messages: the focus and the question it is waiting on.

The state travels as plain JSON (Rasa keeps it in the conversation's `dialogue` slot, so it lives in the
tracker store with the rest of the conversation and every replica sees it). Everything here is data:
the engine (bot/conversation/engine.py) decides, the capability modules act.

- `Focus`: the product (and colour, size, store, quantity) the conversation is about: the last one the
  assistant talked about or offered. "it", "those", "reserve 2" refer to it.
- `Question`: what the assistant last asked and is waiting for (which slot, for which goal, the options
  it offered). The next message is read against it first, on every channel alike.
- `suspended`: questions interrupted by another topic, newest last; when the interruption is answered,
  the assistant comes back to the newest one ("Back to your boots: which size?").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

MAX_SUSPENDED = 3
MAX_LISTED = 5
MAX_SHOWN = 13  # the most buttons a reply shows (Meta's quick-reply limit)
MAX_RECENT = 3
MAX_NOTICES = 20  # notice keys remembered, so a notice delivered twice (at least once) is said once


@dataclass(frozen=True)
class Button:
    """A choice offered to the shopper: what it says and the message a tap sends ("/intent{...}")."""

    title: str
    payload: str

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Focus:
    product: str | None = None  # product id
    colour: str | None = None  # catalogue spelling, or "any"
    size: str | None = None  # catalogue spelling, or "any"
    store: str | None = None  # store id
    quantity: int | None = None

    def about_product(self, product: str | None) -> "Focus":
        """The focus moved to another product: its colour, size and quantity no longer apply."""
        if product == self.product:
            return self
        return Focus(product=product, store=self.store)


@dataclass(frozen=True)
class Question:
    """What the assistant is waiting for.

    Attributes:
        goal: the step the answer serves: "check" (a stock question), "reserve", "checkout", "cancel",
            "handoff" (leave a message?), "message" (the message itself), "link_phone", "verify_order",
            "reserve_there" (an alternative store offered), "pick" (a product from a list).
        about: what the answer names: "product", "colour", "size", "store", "quantity", "payment",
            "confirm" (yes/no), "phone", "code", "text".
        options: the choices offered with the question (typed titles, numbers and taps all pick them).
        asked: how many times in a row it has been asked without an answer.
        data: what the goal needs besides the focus (an order reference, the store offered, ...).
    """

    goal: str
    about: str
    options: tuple[Button, ...] = ()
    asked: int = 1
    data: dict[str, Any] = field(default_factory=dict)

    def asked_again(self) -> "Question":
        return replace(self, asked=self.asked + 1)


@dataclass(frozen=True)
class DialogueState:
    focus: Focus = Focus()
    question: Question | None = None
    suspended: tuple[Question, ...] = ()
    listed: tuple[Button, ...] = ()  # the last list of products shown ("the second one")
    recent: tuple[str, ...] = ()  # the last few products talked about, newest last ("which is cheaper?")
    last: dict[str, Any] = field(default_factory=dict)  # what the last completed step did (for corrections)
    misses: int = 0  # messages in a row the assistant could not place
    rudeness: int = 0  # abusive messages so far
    home: str = ""  # the place the shopper said they are in ("i live in sale"), for "closest to me"
    shown: tuple[Button, ...] = ()  # the buttons of the last reply: typing "2" or a title picks one on any channel
    queue: tuple[str, ...] = ()  # more items asked for in one message ("a chair and a stove"), added in turn
    notices: tuple[str, ...] = ()  # dedupe keys of the notices already said here, newest last (bot.ordering.notices)
    language: str = "en"  # the conversation's language (bot/languages): kept until the shopper clearly switches

    def asking(self, question: Question | None) -> "DialogueState":
        return replace(self, question=question)

    def with_focus(self, **changes: Any) -> "DialogueState":
        return replace(self, focus=replace(self.focus, **changes))

    def suspend(self) -> "DialogueState":
        """Puts the current question aside (with the focus it was about) while another topic is handled."""
        if self.question is None:
            return self
        waiting = replace(self.question, data={**self.question.data, "focus": asdict(self.focus)})
        kept = tuple(q for q in self.suspended if q.goal != waiting.goal)[-(MAX_SUSPENDED - 1):]
        return replace(self, question=None, suspended=kept + (waiting,))

    def resume(self) -> tuple["DialogueState", Question | None]:
        """The newest interrupted question, taken off the stack, with the focus it was about restored."""
        if not self.suspended:
            return self, None
        question = self.suspended[-1]
        data = dict(question.data)
        focus = Focus(**data.pop("focus")) if isinstance(data.get("focus"), dict) else self.focus
        if focus.store is None and self.focus.store is not None:
            focus = replace(focus, store=self.focus.store)  # a store found meanwhile ("nearest to chorlton") is kept
        return replace(self, suspended=self.suspended[:-1], focus=focus), replace(question, data=data)

    def remembering_focus(self) -> "DialogueState":
        """Adds the product in focus to the recent ones (once, newest last)."""
        product = self.focus.product
        if not product or (self.recent and self.recent[-1] == product):
            return self
        return replace(self, recent=(tuple(p for p in self.recent if p != product) + (product,))[-MAX_RECENT:])

    def cleared(self) -> "DialogueState":
        """"Start over": no pending question, nothing suspended, no focus (the language stays)."""
        return DialogueState(rudeness=self.rudeness, home=self.home, notices=self.notices, language=self.language)

    def noting(self, notice_key: str) -> "DialogueState":
        """Remembers that the notice with this dedupe key has been said."""
        return replace(self, notices=(self.notices + (notice_key,))[-MAX_NOTICES:])

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Any) -> "DialogueState":
        """Reads a stored state; anything unreadable (an older shape, a hand-edited slot) starts afresh."""
        if not isinstance(raw, dict):
            return cls()
        try:
            return cls(
                focus=Focus(**(raw.get("focus") or {})),
                question=_question(raw.get("question")),
                suspended=tuple(q for q in map(_question, raw.get("suspended") or []) if q is not None),
                listed=tuple(Button(**button) for button in raw.get("listed") or [])[:MAX_LISTED],
                recent=tuple(str(product) for product in raw.get("recent") or [])[-MAX_RECENT:],
                last=dict(raw.get("last") or {}),
                misses=int(raw.get("misses") or 0),
                rudeness=int(raw.get("rudeness") or 0),
                home=str(raw.get("home") or ""),
                shown=tuple(Button(**button) for button in raw.get("shown") or [])[:MAX_SHOWN],
                queue=tuple(str(item) for item in raw.get("queue") or [])[:MAX_LISTED],
                notices=tuple(str(key) for key in raw.get("notices") or [])[-MAX_NOTICES:],
                language=str(raw.get("language") or "en"),
            )
        except (TypeError, ValueError):
            return cls()


def _question(raw: Any) -> Question | None:
    if not isinstance(raw, dict):
        return None
    return Question(
        goal=str(raw["goal"]),
        about=str(raw["about"]),
        options=tuple(Button(**button) for button in raw.get("options") or []),
        asked=int(raw.get("asked") or 1),
        data=dict(raw.get("data") or {}),
    )
