"""Conversation scenarios written from the shopper's side, run against the real stack.

A scenario file (tests/conversations/*.yml, format in tests/conversations/README.md) lists conversations:
what the shopper types (or which button they tap), what each reply must mean (patterns on the words that
carry the meaning) and what the database must hold afterwards (basket, orders, handoff). The same
scenario runs through the web chat API (the page's own JSON calls) and, where it says `sms: true`,
through signed Twilio webhooks with replies read off a fake Twilio API on loopback.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Protocol

import httpx
import yaml
from sqlalchemy import select

from bot.languages import SUPPORTED, detect
from bot.languages.detection import ENGLISH
from bot.kernel.models import HandoffSession
from bot.ordering.cart import view_cart
from bot.catalog.inventory import set_on_hand, stock_level
from bot.ordering.orders import orders_for_conversation
from bot.kernel.shop import Shop
from scripts.stack import RunningStack
from tests.support.fake_twilio import FakeTwilio
from tests.support.signing import twilio_request

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "conversations"
HELD_OUT_DIR = SCENARIO_DIR / "heldout"
# Said by no good turn, ever: an internal error reaching the shopper.
# (Case-sensitive: "None" is Python leaking into a reply; "none" is a word.)
ALWAYS_REJECTED = (
    r"(?i)something went wrong on my side",
    r"(?i)internal error",
    r"Traceback",
    r"\bNone\b",
    # The services' exception texts (bot/ordering/rules.py and friends) are for logs and staff, never
    # for shoppers: "store 'trafford' does not offer payment method 'at_pickup'" once reached one.
    r"does not offer payment method",
    r"\b(?:store|order|SKU|got) '[^'\s]+'",
    r"cannot become \w+",
    r"belongs to someone else",
    r"cannot be paid by link:",
    r"cannot mix currencies",
    r"quantity must be a whole number",
    r"\bonly -?\d+ of [A-Z]{2}-[A-Z0-9-]+ available",
    r"[A-Z]{2}-[A-Z0-9-]+ is not in the cart",
    r"has no contact phone to send a code to",
    r"there is no live code; ask",
    r"too many attempts; ask",
    r"that code is not right \(",
)
TURN_TIMEOUT_SECONDS = 30.0


# --- the data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    say: str | None  # what the shopper types
    click: str | None  # or: the title of a button in the previous reply, tapped (web) / its number typed (SMS)
    expect: tuple[str, ...]  # every pattern must match the reply
    expect_any: tuple[str, ...]  # at least one must match (when empty: no such check)
    reject: tuple[str, ...]  # none may match
    buttons: tuple[str, ...]  # titles the reply must offer (web buttons / SMS numbered options)
    after: dict[str, Any] | None  # database checks after this turn
    language: str | None = None  # the shopper switches language here: replies from this turn on must be in it

    @property
    def shown(self) -> str:
        return self.say if self.say is not None else f"[taps {self.click!r}]"


@dataclass(frozen=True)
class Scenario:
    name: str
    category: str
    source: str  # file it came from
    turns: tuple[Turn, ...]
    sms: bool = False
    setup: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] | None = None
    # The shopper's language (English unless the file or scenario says "id" or "fi"): no reply line may be in
    # another supported language, so an English shopper never gets Indonesian either. None: not checked by
    # detection (a file with its own `language_checks` patterns, written before this check existed).
    language: str | None = ENGLISH
    phone: str | None = None  # SMS only, from a number of this country ("ID": +62 8…); None: a UK number, web too

    @property
    def ident(self) -> str:
        return f"{Path(self.source).stem}: {self.name}"

    @property
    def channels(self) -> tuple[str, ...]:
        """Where it runs: a shopper texting from a given country's number only over SMS (the web has no number)."""
        if self.phone:
            return ("sms",)
        return ("web", "sms") if self.sms else ("web",)


def _patterns(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    return tuple(str(item) for item in raw)


def _turn(raw: dict[str, Any], where: str) -> Turn:
    if not isinstance(raw, dict) or (("say" in raw) == ("click" in raw)):
        raise ValueError(f"{where}: a turn has exactly one of `say` or `click`")
    known = {"say", "click", "expect", "expect_any", "reject", "buttons", "after", "language"}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    for pattern in (*_patterns(raw.get("expect")), *_patterns(raw.get("expect_any")), *_patterns(raw.get("reject"))):
        re.compile(pattern)
    return Turn(
        say=None if raw.get("say") is None else str(raw["say"]),
        click=None if raw.get("click") is None else str(raw["click"]),
        expect=_patterns(raw.get("expect")),
        expect_any=_patterns(raw.get("expect_any")),
        reject=_patterns(raw.get("reject")),
        buttons=_patterns(raw.get("buttons")),
        after=raw.get("after"),
        language=None if raw.get("language") is None else str(raw["language"]),
    )


def _phone_country(raw: Any, where: str) -> str | None:
    if raw is None:
        return None
    country = str(raw).upper()
    if country not in SMS_NUMBER_PREFIXES:
        raise ValueError(f"{where}: phone must be one of {sorted(SMS_NUMBER_PREFIXES)}")
    return country


def _scenario_language(raw: dict[str, Any], document: dict[str, Any]) -> str | None:
    declared = raw.get("language", document.get("language"))
    if declared:
        return str(declared)
    return None if "language_checks" in document else ENGLISH


def load_scenarios(paths: Iterable[Path]) -> list[Scenario]:
    """Reads scenario files; raises ValueError naming the file and scenario on a malformed one."""
    scenarios: list[Scenario] = []
    for path in sorted(paths):
        document = yaml.safe_load(path.read_text()) or {}
        category = str(document.get("category") or path.stem)
        for position, raw in enumerate(document.get("scenarios") or [], start=1):
            where = f"{path.name} #{position} ({raw.get('name', '?') if isinstance(raw, dict) else '?'})"
            if not isinstance(raw, dict) or not raw.get("name") or not raw.get("turns"):
                raise ValueError(f"{where}: a scenario needs a name and turns")
            scenarios.append(
                Scenario(
                    name=str(raw["name"]),
                    category=str(raw.get("category") or category),
                    source=str(path),
                    turns=tuple(_turn(turn, f"{where} turn {n}") for n, turn in enumerate(raw["turns"], start=1)),
                    sms=bool(raw.get("sms", False)),
                    setup=dict(raw.get("setup") or {}),
                    after=raw.get("after"),
                    language=_scenario_language(raw, document),
                    phone=_phone_country(raw.get("phone"), where),
                )
            )
    names = [scenario.ident for scenario in scenarios]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"scenario names must be unique per file: {duplicates}")
    return scenarios


def suite_files() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.yml"))


def held_out_files() -> list[Path]:
    return sorted(HELD_OUT_DIR.glob("*.yml"))


# --- talking to the assistant --------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """What the shopper saw in answer to one line: the texts and the choices offered."""

    texts: tuple[str, ...]
    options: tuple[dict[str, str], ...]  # {"title", "payload"}

    @property
    def said(self) -> str:
        titles = " | ".join(option["title"] for option in self.options)
        return "\n".join(self.texts) + (f"\n[{titles}]" if titles else "")


class Shopper(Protocol):
    conversation_id: str

    def say(self, text: str) -> Reply: ...

    def tap(self, title: str, previous: Reply) -> Reply: ...

    def close(self) -> None: ...


def _find_option(title: str, previous: Reply) -> tuple[int, dict[str, str]]:
    wanted = title.casefold().strip()
    for number, option in enumerate(previous.options, start=1):
        if option["title"].casefold().strip() == wanted:
            return number, option
    raise AssertionError(f"no button {title!r} in the previous reply: {[o['title'] for o in previous.options]}")


class WebShopper:
    """Talks to the assistant as the web chat page does: POST a line, read the transcript after it."""

    def __init__(self, stack: RunningStack) -> None:
        self.conversation_id = f"web-{uuid.uuid4()}"
        self._http = httpx.Client(base_url=stack.bot_url, timeout=TURN_TIMEOUT_SECONDS * 2)
        self._seen = 0

    def _send(self, text: str, payload: str | None = None) -> Reply:
        body: dict[str, Any] = {"conversation_id": self.conversation_id, "text": text}
        if payload:
            body["payload"] = payload
        answer = self._http.post("/chat/api/messages", json=body)
        if answer.status_code >= 500:
            raise AssertionError(f"web chat answered {answer.status_code}: {answer.text[:300]}")
        history = self._http.get("/chat/api/history", params={"conversation_id": self.conversation_id, "after": self._seen})
        history.raise_for_status()
        lines = history.json()["messages"]
        if lines:
            self._seen = lines[-1]["id"]
        texts, options = [], []
        for line in lines:
            if line["author"] == "user":
                continue
            if line.get("text"):
                texts.append(line["text"])
            for button in (line.get("payload") or {}).get("buttons") or []:
                options.append({"title": str(button.get("title", "")), "payload": str(button.get("payload", ""))})
        return Reply(tuple(texts), tuple(options))

    def say(self, text: str) -> Reply:
        return self._send(text)

    def tap(self, title: str, previous: Reply) -> Reply:
        _, option = _find_option(title, previous)
        return self._send(option["title"], option["payload"])

    def close(self) -> None:
        self._http.close()


_SMS_NUMBERS = itertools.count(uuid.uuid4().int % 1000)
# The shopper's number per country: GB is Ofcom's drama range (+447700900000-999, the only one the phone check
# accepts without it being someone's real number); ID is a Telkomsel mobile range (+62 812), which never
# reaches a network here: replies go to the fake Twilio API.
SMS_NUMBER_PREFIXES = {"GB": "+447700900", "ID": "+62812000"}


class SmsShopper:
    """Texts the assistant: signed Twilio webhooks in, replies read off the fake Twilio API.

    A turn is over when Rasa's tracker for the conversation has listened again after this message;
    replies are sent inside the turn, so by then every text has reached the fake Twilio API.
    """

    def __init__(self, stack: RunningStack, twilio: FakeTwilio, country: str = "GB") -> None:
        # Numbered in turn so no two shoppers of a run share a conversation.
        self.phone = f"{SMS_NUMBER_PREFIXES[country]}{next(_SMS_NUMBERS) % 1000:03d}"
        self.conversation_id = f"sms:{self.phone}"
        self._stack = stack
        self._twilio = twilio
        self._url = f"{stack.rasa_url}/webhooks/sms/webhook"
        self._http = httpx.Client(timeout=TURN_TIMEOUT_SECONDS)
        self._seen = len(self._texts())

    def _texts(self) -> list[str]:
        return [message.field("Body") or "" for message in list(self._twilio.messages) if message.field("To") == self.phone]

    def _turn_done(self, message_sid: str) -> bool:
        tracker = self._http.get(
            f"{self._stack.rasa_url}/conversations/{self.conversation_id}/tracker",
            params={"token": self._stack.config.env["RASA_TOKEN"]},
        )
        if tracker.status_code != 200:
            return False
        events = tracker.json().get("events") or []
        for position in range(len(events) - 1, -1, -1):
            event = events[position]
            if event.get("event") == "user":
                if event.get("message_id") != message_sid:
                    return False
                later = events[position + 1:]
                return any(e.get("event") == "action" and e.get("name") == "action_listen" for e in later) or any(
                    e.get("event") == "pause" for e in later
                )
        return False

    def say(self, text: str) -> Reply:
        message_sid = f"SM{uuid.uuid4().hex}"
        params = {"From": self.phone, "To": "+447700900000", "Body": text, "MessageSid": message_sid, "NumMedia": "0"}
        body, headers = twilio_request(self._twilio.auth_token, self._url, params)
        answer = self._http.post(self._url, content=body, headers=headers)
        if answer.status_code >= 500:
            raise AssertionError(f"SMS webhook answered {answer.status_code}: {answer.text[:300]}")
        deadline = time.monotonic() + TURN_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not self._turn_done(message_sid):
            time.sleep(0.05)
        texts = self._texts()
        new, self._seen = texts[self._seen:], len(texts)
        return Reply(tuple(new), tuple(_numbered_options("\n".join(new))))

    def tap(self, title: str, previous: Reply) -> Reply:
        number, _ = _find_option(title, previous)
        return self.say(str(number))

    def close(self) -> None:
        self._http.close()


_NUMBERED = re.compile(r"^(\d{1,2})\. (.+)$", re.M)


def _numbered_options(text: str) -> list[dict[str, str]]:
    """The options an SMS lists as "1. Title" lines (the last numbered block of the reply)."""
    return [{"title": title.strip(), "payload": number} for number, title in _NUMBERED.findall(text)]


# --- checking ------------------------------------------------------------------------------------


@dataclass
class ScenarioResult:
    scenario: Scenario
    channel: str
    failures: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def report(self) -> str:
        lines = [f"{self.scenario.ident} [{self.channel}]"]
        lines += [f"  FAIL {failure}" for failure in self.failures]
        lines += [f"  | {line}" for line in self.transcript]
        return "\n".join(lines)


def _check_reply(turn: Turn, reply: Reply, number: int) -> list[str]:
    said = reply.said
    problems = []
    if not reply.texts:
        problems.append(f"turn {number} ({turn.shown!r}): no reply at all")
    for pattern in turn.expect:
        if not re.search(pattern, said, re.I | re.S):
            problems.append(f"turn {number} ({turn.shown!r}): reply lacks /{pattern}/")
    if turn.expect_any and not any(re.search(pattern, said, re.I | re.S) for pattern in turn.expect_any):
        problems.append(f"turn {number} ({turn.shown!r}): reply matches none of {list(turn.expect_any)}")
    for pattern in turn.reject:
        if re.search(pattern, said, re.I | re.S):
            problems.append(f"turn {number} ({turn.shown!r}): reply must not match /{pattern}/")
    for pattern in ALWAYS_REJECTED:
        if re.search(pattern, said, re.S):
            problems.append(f"turn {number} ({turn.shown!r}): reply must never match /{pattern}/")
    titles = [option["title"].casefold() for option in reply.options]
    for title in turn.buttons:
        if title.casefold() not in titles:
            problems.append(f"turn {number} ({turn.shown!r}): no option {title!r} offered (got {titles})")
    return problems


def _check_language(language: str | None, reply: Reply, number: int, turn: Turn) -> list[str]:
    """Every reply line that is clearly in a supported language is in the shopper's (names and numbers don't count)."""
    if language is None:
        return []
    problems = []
    lines = []
    for line in reply.said.splitlines():
        if line[:1].isdigit():
            continue  # a basket line or a numbered option: a product name and a price, in no language
        if line.startswith("[") and line.endswith("]"):
            # Buttons: product and store names are Title Case in every language; a title in words has lower case.
            lines += [title for title in line[1:-1].split(" | ") if any(word[:1].islower() for word in title.split())]
        else:
            lines.append(line)
    for line in lines:
        said_in = detect(line)
        if said_in in SUPPORTED and said_in != language:
            problems.append(f"turn {number} ({turn.shown!r}): reply in {said_in!r}, the shopper writes {language!r}: {line!r}")
    return problems


def _line_matches(expected: dict[str, Any], sku: str, quantity: int) -> bool:
    if "sku" in expected and str(expected["sku"]).upper() != sku.upper():
        return False
    if "product" in expected and not sku.upper().startswith(str(expected["product"]).upper() + "-"):
        return False
    return "quantity" not in expected or int(expected["quantity"]) == quantity


def _match_lines(expected: list[dict[str, Any]], actual: list[tuple[str, int]], what: str) -> list[str]:
    if len(expected) != len(actual):
        return [f"{what}: expected {len(expected)} line(s) {expected}, found {actual}"]
    remaining = list(actual)
    for wanted in expected:
        found = next((line for line in remaining if _line_matches(wanted, *line)), None)
        if found is None:
            return [f"{what}: no line like {wanted} in {actual}"]
        remaining.remove(found)
    return []


def check_database(shop: Shop, conversation_id: str, expected: dict[str, Any], when: str) -> list[str]:
    """Compares what the database holds for the conversation with a scenario's `after` block."""
    problems: list[str] = []
    known = {"basket", "orders", "handoff"}
    unknown = set(expected) - known
    if unknown:
        return [f"{when}: unknown database checks {sorted(unknown)}"]
    if "basket" in expected:
        cart = shop.run(view_cart, conversation_id)
        actual = [(line.sku, line.quantity) for line in cart.lines]
        problems += [f"{when}: {p}" for p in _match_lines(list(expected["basket"] or []), actual, "basket")]
    if "orders" in expected:
        orders = shop.run(orders_for_conversation, conversation_id)
        wanted_orders = list(expected["orders"] or [])
        if len(orders) != len(wanted_orders):
            summary = [(o.reference, o.store_id, o.payment_method, o.status) for o in orders]
            problems.append(f"{when}: expected {len(wanted_orders)} order(s), found {summary}")
        else:
            # Newest first, as orders_for_conversation returns them.
            for number, (wanted, order) in enumerate(zip(wanted_orders, orders), start=1):
                for key in ("store", "payment_method", "status"):
                    column = "store_id" if key == "store" else key
                    if key in wanted and str(wanted[key]) != getattr(order, column):
                        problems.append(f"{when}: order {number} {key} is {getattr(order, column)!r}, expected {wanted[key]!r}")
                if "lines" in wanted:
                    actual = [(line.sku, line.quantity) for line in order.lines]
                    problems += [f"{when}: {p}" for p in _match_lines(list(wanted["lines"]), actual, f"order {number} lines")]
    if "handoff" in expected:
        state = shop.run(_latest_handoff_state, conversation_id)
        if str(expected["handoff"]) != (state or "none"):
            problems.append(f"{when}: handoff is {state or 'none'!r}, expected {expected['handoff']!r}")
    return problems


def _latest_handoff_state(uow: Any, conversation_id: str) -> str | None:
    return uow.session.scalars(
        select(HandoffSession.state)
        .where(HandoffSession.conversation_id == conversation_id)
        .order_by(HandoffSession.id.desc())
        .limit(1)
    ).first()


def _set_stock(uow: Any, lines: list[dict[str, Any]]) -> None:
    """`on_hand` as a fresh catalogue would have it: units still held by earlier scenarios' orders are added on top,
    so what a new shopper is offered does not depend on which scenarios ran before."""
    for line in lines:
        store, sku = str(line["store"]), str(line["sku"])
        held = stock_level(uow, store, sku).reserved
        set_on_hand(uow, store, sku, int(line["on_hand"]) + held)


def apply_setup(shop: Shop, setup: dict[str, Any]) -> None:
    unknown = set(setup) - {"stock"}
    if unknown:
        raise ValueError(f"unknown setup keys {sorted(unknown)}")
    if setup.get("stock"):
        shop.run(_set_stock, list(setup["stock"]))


def run_scenario(scenario: Scenario, channel: str, stack: RunningStack, shop: Shop, twilio: FakeTwilio | None) -> ScenarioResult:
    """Plays the scenario as a new shopper on `channel` ("web" or "sms") and checks every reply and the database."""
    result = ScenarioResult(scenario, channel)
    apply_setup(shop, scenario.setup)
    if channel == "sms":
        assert twilio is not None, "SMS scenarios need the fake Twilio API"
        shopper: Shopper = SmsShopper(stack, twilio, scenario.phone or "GB")
    else:
        shopper = WebShopper(stack)
    previous = Reply((), ())
    language = scenario.language
    try:
        for number, turn in enumerate(scenario.turns, start=1):
            result.transcript.append(f"shopper: {turn.shown}")
            try:
                reply = shopper.say(turn.say) if turn.say is not None else shopper.tap(str(turn.click), previous)
            except AssertionError as error:
                result.failures.append(f"turn {number} ({turn.shown!r}): {error}")
                break
            result.transcript += [f"assistant: {line}" for line in reply.said.splitlines()]
            result.failures += _check_reply(turn, reply, number)
            language = turn.language or language
            result.failures += _check_language(language, reply, number, turn)
            if turn.after:
                result.failures += check_database(shop, shopper.conversation_id, turn.after, f"after turn {number}")
            previous = reply
        if scenario.after:
            result.failures += check_database(shop, shopper.conversation_id, scenario.after, "at the end")
    finally:
        shopper.close()
    return result


__all__ = [
    "Scenario",
    "ScenarioResult",
    "held_out_files",
    "load_scenarios",
    "run_scenario",
    "suite_files",
]
