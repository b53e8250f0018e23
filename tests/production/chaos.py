"""The chaos run: web shoppers chatting, ordering and paying while kill -9 hits a random process, which is
then started again. Used by tests/production/test_chaos.py (bounded, in CI) and `make chaos` (longer).

Each shopper talks through the web chat API exactly as the page does, to the bot servers in turn; a bot
server that refuses the connection is skipped for the other one, as nginx does with a dead upstream.
A line's outcome is read from the transcript the page shows: answered (a reply that is not an apology),
apologised, or lost (nothing at all, by the end of the run). Side effects are read from the database: a
shopper who asked for 2 boots and holds more in a basket or an order got a duplicated side effect.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.kernel.models import ChatMessage, Order, OrderLine, Timer
from bot.catalog.inventory import set_on_hand
from bot.ordering.notices import PAYMENT_RECEIVED
from tests.production.conftest import Production

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STORE, SKU, QUANTITY = "arndale", "FS-BOOT-TRB-BRN-9", 2
APOLOGIES = ("Sorry, something went wrong", "Sorry, I can't answer right now")
SCRIPT = (
    ("do you have the trailblazer boots in brown size 9 at arndale?", None),
    ("reserve 2 of those", None),
    ("Reserve now", "/place_order"),
    ("Pay now by link", '/choose_payment{"payment_method":"link"}'),
)
REPLY_WAIT = 45.0


@dataclass
class Figures:
    seconds: float = 0.0
    shoppers: int = 0
    kills: Counter = field(default_factory=Counter)
    lines_sent: int = 0
    not_accepted: int = 0  # no bot server took the line (the page said "offline"): visible, nothing done
    answered: int = 0
    apologised: int = 0
    lost: int = 0
    duplicated_side_effects: int = 0
    orders: int = 0
    payments: int = 0
    notices_due: int = 0
    notices_delivered: int = 0
    notices_doubled: int = 0
    longest_gap_seconds: float = 0.0
    page_saw: Counter = field(default_factory=Counter)  # what the web chat POST answered, per line

    def as_json(self) -> str:
        return json.dumps({**asdict(self), "kills": dict(self.kills), "page_saw": dict(self.page_saw)}, indent=2)


class Shopper:
    def __init__(self, production: Production, index: int) -> None:
        self.production = production
        self.bots = ["bot-0", "bot-1"] if index % 2 == 0 else ["bot-1", "bot-0"]
        self.conversation_id = f"web-{uuid.uuid4()}"
        self.http = httpx.Client(timeout=60)
        self.gaps: list[float] = []
        self.not_accepted = 0
        self.sent = 0
        self.page_saw: Counter = Counter()

    def _post(self, path: str, **kwargs: object) -> httpx.Response | None:
        for bot in self.bots:  # nginx's next upstream: only when the connection is refused
            try:
                reply = self.http.post(f"{self.production.url(bot)}{path}", **kwargs)  # type: ignore[arg-type]
                self.page_saw[str(reply.status_code)] += 1
                return reply
            except httpx.ConnectError:
                continue
            except httpx.HTTPError as error:
                self.page_saw[f"dropped ({type(error).__name__})"] += 1
                return None  # the bot server died with the request: nginx answers 502
        self.page_saw["offline"] += 1
        return None

    def _bot_lines_after(self, line_id: int) -> list[str]:
        with self.production.shop.uow() as uow:
            rows = uow.session.execute(
                select(ChatMessage.author, ChatMessage.text)
                .where(ChatMessage.conversation_id == self.conversation_id, ChatMessage.id > line_id)
                .order_by(ChatMessage.id)
            ).all()
        replies = []
        for author, text in rows:
            if author == "user":
                break
            replies.append(text)
        return replies

    def _last_user_line(self) -> int | None:
        with self.production.shop.uow() as uow:
            return uow.session.scalar(
                select(ChatMessage.id).where(ChatMessage.conversation_id == self.conversation_id, ChatMessage.author == "user")
                .order_by(ChatMessage.id.desc()).limit(1)
            )

    def say(self, text: str, payload: str | None) -> list[str]:
        """Sends a line and waits for its replies (as the page's stream shows them); [] when none came."""
        before = self._last_user_line() or 0
        started = time.monotonic()
        self.sent += 1
        body = {"conversation_id": self.conversation_id, "text": text, **({"payload": payload} if payload else {})}
        self._post("/chat/api/messages", json=body)
        line_id = self._last_user_line() or 0
        if line_id <= before:
            self.not_accepted += 1
            return []
        while time.monotonic() - started < REPLY_WAIT:
            replies = self._bot_lines_after(line_id)
            if replies:
                self.gaps.append(time.monotonic() - started)
                return replies
            time.sleep(0.3)
        return []

    def shop(self) -> None:
        """Follows the script; a line that got an apology or nothing is sent once more, as people do."""
        link = None
        for text, payload in SCRIPT:
            replies = self.say(text, payload)
            if not replies or replies[0].startswith(APOLOGIES):
                time.sleep(2)
                replies = self.say(text, payload)
            found = next((re.search(r"/pay/[A-Za-z0-9_]+", r) for r in replies if "/pay/" in r), None)
            link = found.group(0) if found else link
        if link:
            for _ in range(3):
                paid = self._post(link, data={"card_number": "4242 4242 4242 4242"})
                if paid is not None and paid.status_code < 500:
                    break
                time.sleep(2)


class Killer:
    """kill -9 a random process every few seconds, then starts it again."""

    def __init__(self, production: Production, log_dir: Path, seed: int, pause: tuple[float, float]) -> None:
        self.production, self.random, self.pause = production, random.Random(seed), pause
        self.log_dir = log_dir
        self.kills: Counter = Counter()
        self.stop = threading.Event()
        self.sweeper: subprocess.Popen | None = None

    def start_sweeper(self) -> None:
        env = {**os.environ, **self.production.env, "RASA_URL": self.production.url("rasa-1")}
        with open(self.log_dir / "sweeper.log", "ab") as log:
            self.sweeper = subprocess.Popen([sys.executable, "-m", "bot.orchestration.sweeper"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def run(self) -> None:
        """One failure at a time: kills a process, starts it again, waits until it is ready, pauses.

        On two busy cores a replica takes one to three minutes to come back (model and TensorFlow
        loading); killing faster than that takes the whole deployment down, which measures nothing.
        """
        self.start_sweeper()
        victims = ["bot-0", "bot-1", "rasa-0", "rasa-1", "sweeper"]
        while not self.stop.wait(self.random.uniform(*self.pause)):
            victim = self.random.choice(victims)
            self.kills[victim] += 1
            if victim == "sweeper":
                assert self.sweeper is not None
                self.sweeper.kill()
                self.sweeper.wait(10)
                self.start_sweeper()
            else:
                self.production.replicas.kill(victim)
                self.production.replicas.restart(victim, timeout=480)
        if self.sweeper is not None:
            self.sweeper.kill()
            self.sweeper.wait(10)


def run_chaos(production: Production, log_dir: Path, seconds: float, shoppers: int, seed: int = 18,
              pause: tuple[float, float] = (4.0, 10.0)) -> Figures:
    """Runs shoppers for about `seconds` (each starts a new conversation when done) under the killer."""
    production.shop.run(set_on_hand, STORE, SKU, 10_000)
    killer = Killer(production, log_dir, seed, pause)
    killing = threading.Thread(target=killer.run, daemon=True)
    everyone: list[Shopper] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def keep_shopping(slot: int) -> None:
        while time.monotonic() < deadline:
            shopper = Shopper(production, slot)
            with lock:
                everyone.append(shopper)
            shopper.shop()

    started = time.monotonic()
    killing.start()
    threads = [threading.Thread(target=keep_shopping, args=(slot,)) for slot in range(shoppers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    killer.stop.set()
    killing.join(600)
    for name in ("bot-0", "bot-1", "rasa-0", "rasa-1"):
        if not production.replicas[name].running():
            production.replicas.restart(name, timeout=480)
    figures = Figures(seconds=round(time.monotonic() - started, 1), shoppers=len(everyone), kills=killer.kills)
    _settle_notices(production, [s.conversation_id for s in everyone])
    _count(production, everyone, figures)
    return figures


def _settle_notices(production: Production, conversations: list[str], timeout: float = 120) -> None:
    """Waits (bounded) until no payment notice of the run is still queued: a notice is delayed, not dropped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with production.shop.uow() as uow:
            references = uow.session.scalars(select(Order.reference).where(Order.conversation_id.in_(conversations))).all()
            waiting = uow.session.scalar(
                select(Timer.id).where(Timer.kind == PAYMENT_RECEIVED, Timer.subject.in_(references), Timer.fired_at.is_(None)).limit(1)
            )
        if waiting is None:
            time.sleep(3)  # a push handed to Rasa is written to the transcript by the turn it runs
            return
        time.sleep(1)


def _count(production: Production, everyone: list[Shopper], figures: Figures) -> None:
    conversations = [s.conversation_id for s in everyone]
    figures.lines_sent = sum(s.sent for s in everyone)
    figures.not_accepted = sum(s.not_accepted for s in everyone)
    for shopper in everyone:
        figures.page_saw.update(shopper.page_saw)
    figures.longest_gap_seconds = round(max((g for s in everyone for g in s.gaps), default=0.0), 1)
    with production.shop.uow() as uow:
        rows = uow.session.execute(
            select(ChatMessage.conversation_id, ChatMessage.author, ChatMessage.text)
            .where(ChatMessage.conversation_id.in_(conversations)).order_by(ChatMessage.id)
        ).all()
        orders = uow.session.execute(
            select(Order.conversation_id, Order.reference, Order.status, OrderLine.quantity)
            .join(OrderLine, OrderLine.order_id == Order.id).where(Order.conversation_id.in_(conversations))
        ).all()
    by_conversation: dict[str, list[tuple[str, str]]] = {}
    for conversation, author, text in rows:
        by_conversation.setdefault(conversation, []).append((author, text))
    for lines in by_conversation.values():
        for index, (author, _text) in enumerate(lines):
            if author != "user":
                continue
            replies = []
            for later_author, later_text in lines[index + 1:]:
                if later_author == "user":
                    break
                replies.append(later_text)
            if any(not r.startswith(APOLOGIES) and not r.startswith("Payment received") for r in replies):
                figures.answered += 1
            elif replies:
                figures.apologised += 1
            else:
                figures.lost += 1
    per_conversation = Counter(conversation for conversation, *_ in orders)
    figures.orders = len(orders)
    figures.duplicated_side_effects = sum(n - 1 for n in per_conversation.values() if n > 1) + sum(
        1 for *_, quantity in orders if quantity != QUANTITY
    )
    paid = {reference: conversation for conversation, reference, status, _q in orders if status == "paid"}
    figures.payments = figures.notices_due = len(paid)
    told = Counter(
        conversation for conversation, author, text in rows
        if author == "bot" and text.startswith("Payment received for") and paid.get(text.split()[3].rstrip(",")) == conversation
    )
    figures.notices_delivered = len(told)
    figures.notices_doubled = sum(n - 1 for n in told.values() if n > 1)
