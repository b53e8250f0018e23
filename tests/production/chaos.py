"""The chaos run: web shoppers chatting, ordering and paying through nginx while kill -9 hits a random
process, which is then started again. Used by tests/production/test_chaos.py (bounded, in CI) and `make
chaos` (longer).

The deployment runs behind real nginx with deploy/nginx.conf (conftest's `deployment(behind_nginx=True)`):
each shopper talks to nginx's public listener exactly as the page does; bot servers reach Rasa and Rasa
reaches the actions through nginx's internal listener, so a dead replica's traffic goes to the other one
as in production. A line's outcome is read from the transcript the page shows: answered (a reply that is
not an apology), apologised, or lost (nothing at all, by the end of the run). Side effects are read from
the database: a shopper who asked for 2 boots and holds more in a basket or an order, or whose order was
paid more than once, got a duplicated side effect.
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
from sqlalchemy import func, select

from bot.kernel.models import AuditEntry, CartLine, ChatMessage, Order, OrderLine, Timer
from bot.catalog.inventory import set_on_hand
from bot.ordering.notices import PAYMENT_RECEIVED
from tests.production.conftest import Production

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STORE, SKU, QUANTITY = "arndale", "FS-BOOT-TRB-BRN-9", 2
APOLOGIES = ("Sorry, something went wrong", "Sorry, I can't answer right now")
NOTICE = "Payment received for"  # the payment notice the outbox delivers (bot/ordering/notice_replies.py)
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
    not_accepted: int = 0  # the line never reached the transcript (nginx's 502 before it was recorded): visible, nothing done
    gave_up: int = 0  # lines with no reply within REPLY_WAIT, sent again (each still counted answered/apologised/lost)
    answered: int = 0
    apologised_and_answered: int = 0  # of the answered: an apology too (two outcomes for one line)
    apologised: int = 0
    lost: int = 0
    duplicated_side_effects: int = 0
    duplicates: Counter = field(default_factory=Counter)  # by kind: second order, quantity in order or basket, paid twice
    orders: int = 0
    payments: int = 0
    notices_due: int = 0
    notices_delivered: int = 0
    notices_doubled: int = 0
    longest_gap_seconds: float = 0.0
    page_saw: Counter = field(default_factory=Counter)  # what nginx answered the web chat and pay POSTs, per request
    examples: dict = field(default_factory=dict)  # transcripts of up to 5 conversations with a duplicate

    def as_json(self) -> str:
        return json.dumps({**asdict(self), "kills": dict(self.kills), "duplicates": dict(self.duplicates), "page_saw": dict(self.page_saw)}, indent=2)


class Shopper:
    def __init__(self, production: Production) -> None:
        assert production.public_url, "the chaos run goes through nginx: deployment(behind_nginx=True)"
        self.production = production
        self.public_url = production.public_url
        self.conversation_id = f"web-{uuid.uuid4()}"
        self.http = httpx.Client(timeout=60)
        self.gaps: list[float] = []
        self.not_accepted = 0
        self.gave_up = 0
        self.sent = 0
        self.page_saw: Counter = Counter()

    def _post(self, path: str, **kwargs: object) -> httpx.Response | None:
        """POSTs through nginx's public listener, as the page and the pay form do."""
        try:
            reply = self.http.post(f"{self.public_url}{path}", **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as error:
            self.page_saw[f"dropped ({type(error).__name__})"] += 1
            return None
        self.page_saw[str(reply.status_code)] += 1
        return reply

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
        """Sends a line and waits for its replies (as the page's stream shows them); [] when none came.

        A line that got nothing within REPLY_WAIT counts as a gap of REPLY_WAIT (the shopper saw nothing for
        that long, then sent it again), so the longest gap cannot hide the lines nobody answered in time.
        """
        before = self._last_user_line() or 0
        started = time.monotonic()
        self.sent += 1
        body = {"conversation_id": self.conversation_id, "text": text, **({"payload": payload} if payload else {})}
        self._post("/chat/api/messages", json=body)
        if (self._last_user_line() or 0) <= before:
            self.not_accepted += 1
            return []
        while True:  # looked at least once: the POST itself may have taken longer than REPLY_WAIT
            # The line's row, or its copy moved to where its turn began (bot/messaging/transcript.py).
            replies = self._bot_lines_after(self._last_user_line() or 0)
            waited = time.monotonic() - started
            if replies:
                self.gaps.append(waited)
                return replies
            if waited >= REPLY_WAIT:
                self.gaps.append(waited)
                self.gave_up += 1
                return []
            time.sleep(0.3)

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
        env = {**os.environ, **self.production.env}  # RASA_URL: nginx's internal listener, as the bot servers have it
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
            shopper = Shopper(production)
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
    _count(everyone, _settled(production, [s.conversation_id for s in everyone]), figures)
    return figures


@dataclass
class Snapshot:
    """What the run left in the database: transcripts, orders, baskets and payment audits."""

    rows: list[tuple[str, str, str]]  # conversation, author, text; in transcript order
    orders: list[tuple[str, str, str, int]]  # conversation, reference, status, quantity
    baskets: list[tuple[str, int]]  # conversation, quantity of the boots
    paid_audits: Counter  # order reference -> its order_paid audit rows
    notices_queued: int  # payment notices of the run's orders still in the outbox (not yet delivered)

    def outcomes(self) -> Counter:
        """Each shopper line: answered (a reply that is not an apology), apologised, or lost (nothing)."""
        by_conversation: dict[str, list[tuple[str, str]]] = {}
        for conversation, author, text in self.rows:
            by_conversation.setdefault(conversation, []).append((author, text))
        outcomes: Counter = Counter()
        for lines in by_conversation.values():
            for index, (author, _text) in enumerate(lines):
                if author != "user":
                    continue
                replies = []
                for later_author, later_text in lines[index + 1:]:
                    if later_author == "user":
                        break
                    replies.append(later_text)
                replies = [r for r in replies if not r.startswith(NOTICE)]  # a notice is not the line's reply
                if any(not r.startswith(APOLOGIES) for r in replies):
                    outcomes["answered"] += 1
                    if any(r.startswith(APOLOGIES) for r in replies):
                        outcomes["apologised_and_answered"] += 1  # two outcomes for one line
                elif replies:
                    outcomes["apologised"] += 1
                else:
                    outcomes["lost"] += 1
        return outcomes

    def paid(self) -> dict[str, str]:
        """Paid orders: reference -> conversation."""
        return {reference: conversation for conversation, reference, status, _q in self.orders if status == "paid"}

    def told(self) -> Counter:
        """Conversation -> how many times it was told its own order's payment was received."""
        paid = self.paid()
        return Counter(
            conversation for conversation, author, text in self.rows
            if author == "bot" and text.startswith(NOTICE) and paid.get(text.split()[3].rstrip(",")) == conversation
        )


def _snapshot(production: Production, conversations: list[str]) -> Snapshot:
    with production.shop.uow() as uow:
        rows = uow.session.execute(
            select(ChatMessage.conversation_id, ChatMessage.author, ChatMessage.text)
            .where(ChatMessage.conversation_id.in_(conversations)).order_by(ChatMessage.id)
        ).all()
        orders = uow.session.execute(
            select(Order.conversation_id, Order.reference, Order.status, OrderLine.quantity)
            .join(OrderLine, OrderLine.order_id == Order.id).where(Order.conversation_id.in_(conversations))
        ).all()
        # An unlinked web chat's basket is keyed on its conversation id.
        baskets = uow.session.execute(
            select(CartLine.owner_key, CartLine.quantity).where(CartLine.owner_key.in_(conversations), CartLine.sku == SKU)
        ).all()
        audits = uow.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "order_paid")).all()
        references = {reference for _c, reference, _s, _q in orders}
        queued = uow.session.scalar(
            select(func.count(Timer.id)).where(Timer.kind == PAYMENT_RECEIVED, Timer.subject.in_(references), Timer.fired_at.is_(None))
        )
    paid_audits = Counter((detail or {}).get("order") for detail in audits if (detail or {}).get("order") in references)
    return Snapshot([tuple(r) for r in rows], [tuple(o) for o in orders], [tuple(b) for b in baskets], paid_audits, int(queued or 0))


def _settled(production: Production, conversations: list[str], timeout: float = 240) -> Snapshot:
    """Waits (bounded) until every line of the run has an outcome and every paid order's notice was said.

    A line left without one by a crash is handed to Rasa again by a sweeper after 20 s, and apologised for
    after 3 minutes at most (bot/messaging/web_lines.py); a notice is retried until delivered, and leaves
    the outbox only once Rasa's tracker shows it said. What is still missing at the deadline is counted as
    lost or not delivered.
    """
    deadline = time.monotonic() + timeout
    while True:
        snapshot = _snapshot(production, conversations)
        outbox_drained = snapshot.notices_queued == 0  # after it, a late second delivery would already show
        if not snapshot.outcomes()["lost"] and len(snapshot.told()) == len(snapshot.paid()) and outbox_drained:
            return snapshot
        if time.monotonic() > deadline:
            return snapshot
        time.sleep(1)


def _count(everyone: list[Shopper], snapshot: Snapshot, figures: Figures) -> None:
    figures.lines_sent = sum(s.sent for s in everyone)
    figures.not_accepted = sum(s.not_accepted for s in everyone)
    figures.gave_up = sum(s.gave_up for s in everyone)
    for shopper in everyone:
        figures.page_saw.update(shopper.page_saw)
    figures.longest_gap_seconds = round(max((g for s in everyone for g in s.gaps), default=0.0), 1)
    outcomes = snapshot.outcomes()
    figures.answered, figures.apologised, figures.lost = outcomes["answered"], outcomes["apologised"], outcomes["lost"]
    figures.apologised_and_answered = outcomes["apologised_and_answered"]
    orders = snapshot.orders
    per_conversation = Counter(conversation for conversation, *_ in orders)
    figures.orders = len(orders)
    figures.duplicates = Counter(
        second_order=sum(n - 1 for n in per_conversation.values() if n > 1),
        order_quantity=sum(1 for *_, quantity in orders if quantity != QUANTITY),
        basket_quantity=sum(1 for _owner, quantity in snapshot.baskets if quantity > QUANTITY),
        paid_twice=sum(n - 1 for n in snapshot.paid_audits.values() if n > 1),
    )
    figures.duplicated_side_effects = sum(figures.duplicates.values())
    paid = snapshot.paid()
    unaudited = set(paid) - set(snapshot.paid_audits)
    assert not unaudited, f"paid orders without their order_paid audit (the paid-twice count reads them): {unaudited}"
    figures.payments = figures.notices_due = len(paid)
    told = snapshot.told()
    figures.notices_delivered = len(told)
    figures.notices_doubled = sum(n - 1 for n in told.values() if n > 1)
    # The database goes with the deployment: keep the transcripts of the conversations that went wrong.
    wrong = {c for c, n in told.items() if n > 1} | {c for c, *_ in orders if per_conversation[c] > 1}
    wrong |= {c for c, _r, _s, quantity in orders if quantity != QUANTITY} | {c for c, q in snapshot.baskets if q > QUANTITY}
    for conversation in sorted(wrong)[:5]:
        figures.examples[conversation] = [f"{a}: {t[:90]}" for c, a, t in snapshot.rows if c == conversation]
