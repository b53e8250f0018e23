"""The funnel consumer against the real RabbitMQ and PostgreSQL: Rasa's own PikaEventBroker publishes a
day's worth of conversations (its exact wire format), the consumer is killed with -9 mid-stream and started
again, and the per-day figures are exact: nothing lost, nothing counted twice. Then every event is
delivered a second time, as a broker redelivering everything would, and the figures do not move."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

import aio_pika
import pytest
from rasa.core.brokers.pika import PikaEventBroker
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, SlotSet, UserUttered
from sqlalchemy import create_engine, text
from sqlalchemy.engine.url import make_url
from sqlalchemy.pool import NullPool

from bot.adapters.funnel_consumer import Progress, retry_delay, run_consumer
from bot.funnel.facts import handoff_key, tag
from bot.funnel.figures import funnel_by_day
from bot.kernel.shop import Shop
from scripts.shop_env import PROJECT_ROOT, shop_environment
from tests.support.databases import fresh_postgres_database
from tests.production.services import require_postgres, require_rabbitmq
from tests.support.stack import PYTHON

pytestmark = pytest.mark.production

SHOPPERS = 300
DAYS = (date(2026, 12, 5), date(2026, 12, 6))  # calendar days in London (winter: London = UTC)


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.02)


class Scenario:
    """Shoppers' conversations as Rasa's events, and the figures they must give (counted here by hand)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.expected: dict[date, Counter] = {day: Counter() for day in DAYS}

    def emit(self, sender: str, event: Any) -> None:
        self.events.append({"sender_id": sender, **event.as_dict()})  # what Rasa's tracker store publishes

    def shopper(self, number: int) -> None:
        sender = f"web-funnel-{number:04d}"
        day = DAYS[number % 2]
        clock = datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc).timestamp() + number * 60

        def line(text_: str, intent: str, message_id: str, entities: list[dict] | None = None) -> None:
            nonlocal clock
            clock += 7
            self.emit(sender, UserUttered(text_, {"name": intent, "confidence": 0.93}, entities or [], timestamp=clock,
                                          input_channel="webchat", message_id=message_id))

        def turn(text_: str, *tags: dict) -> None:
            nonlocal clock
            clock += 1
            self.emit(sender, ActionExecuted("action_respond", timestamp=clock))
            self.emit(sender, BotUttered(text_, {"buttons": None}, {"funnel": list(tags)} if tags else {}, timestamp=clock + 0.1))
            self.emit(sender, SlotSet("dialogue", {"focus": {"product": "FS-ACC-BEA"}}, timestamp=clock + 0.2))
            self.emit(sender, ActionExecuted("action_listen", timestamp=clock + 0.3))

        line("hi", "greet", f"{sender}-1")
        turn("Hi! What can I help you with?")
        self.expected[day]["conversations"] += 1
        line("do you have grey beanies at arndale?", "check_stock", f"{sender}-2")
        turn("Yes, 20 at Arndale.", tag("stock_questions", f"{sender}|{sender}-2|stock#1"))
        self.expected[day]["stock_questions"] += 1
        if number % 3 == 0:
            return  # asked, and left
        add = tag("basket_adds", f"{sender}|{sender}-3|add#1")
        line("reserve 2", "reserve_item", f"{sender}-3")
        turn("Added. Your basket: 2 × Grey Beanie", add)
        self.expected[day]["basket_adds"] += 1
        if number % 6 == 1:  # the turn was handled again after a crash: the same add, said again
            line("reserve 2", "reserve_item", f"{sender}-3")
            turn("Added. Your basket: 2 × Grey Beanie", add)
        if number % 3 == 1:
            reference = f"FS-{number:06d}"
            line("pay now by link", "choose_payment", f"{sender}-4")
            turn(f"Order {reference} is reserved.", tag("orders_placed", reference))
            self.expected[day]["orders_placed"] += 1
            if number % 4 in (0, 1):  # paid (on both days)
                notices = 2 if number % 5 == 0 else 1  # pushed twice: the sweeper died after Rasa took it
                for _ in range(notices):
                    clock += 30
                    self.emit(sender, UserUttered.create_external("EXTERNAL_payment_received", [
                        {"entity": "order_reference", "value": reference}, {"entity": "notice_key", "value": f"paid:{reference}"}]))
                    self.events[-1]["timestamp"] = clock
                    turn(f"Payment received for {reference}.")
                self.expected[day]["payments_received"] += 1
        if number % 10 in (2, 5):  # asked for a person; an agent then took the waiting session (its pause is tagged too)
            line("can i talk to a person", "request_human", f"{sender}-5")
            turn("Connecting you with our team.", tag("handoffs", handoff_key(number)))
            self.emit(sender, ConversationPaused(timestamp=clock + 0.5))
            self.emit(sender, ConversationPaused(timestamp=clock + 60, metadata={"funnel": [tag("handoffs", handoff_key(number))]}))
            self.expected[day]["handoffs"] += 1
        if number % 7 == 0 and day == DAYS[0]:  # back the next day: a conversation on that day too
            clock += 86400
            line("me again", "greet", f"{sender}-6")
            turn("Hello again!")
            self.expected[DAYS[1]]["conversations"] += 1


@pytest.fixture
def shop_database() -> Iterator[str]:
    require_postgres()
    with fresh_postgres_database(require_postgres(), prefix="shopprod") as url:
        env = dict(shop_environment(), SHOP_DATABASE_URL=url)
        subprocess.run([PYTHON, "-m", "bot.cli", "migrate"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
        yield url


class Consumer:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log, self.process = env, log, None

    def start(self) -> None:
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen([PYTHON, "-m", "bot.adapters.funnel_consumer"], cwd=PROJECT_ROOT, env=self.env,
                                            stdout=output, stderr=subprocess.STDOUT)

    def stop(self, signum: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signum)
        self.process.wait(timeout=60)


def figures(url: str) -> dict[date, Counter]:
    engine = create_engine(url, future=True, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT day, stage, count(*) FROM funnel_facts GROUP BY day, stage")).all()
    finally:
        engine.dispose()
    found: dict[date, Counter] = {day: Counter() for day in DAYS}
    for day, stage, count in rows:
        found.setdefault(day, Counter())[stage] = count
    return found


def total(found: dict[date, Counter]) -> int:
    return sum(sum(counter.values()) for counter in found.values())


async def publish_as_rasa(url: str, queue: str, exchange: str, events: list[dict[str, Any]]) -> None:
    """Rasa's PikaEventBroker publishes every event (on an exchange of this test's own: other people's
    queues are bound to Rasa's default one), and the queue holds them all."""
    parsed = make_url(url.replace("amqp://", "postgresql://", 1))
    broker = PikaEventBroker(parsed.host or "127.0.0.1", parsed.username or "guest", parsed.password or "guest",
                             port=parsed.port or 5672, queues=[queue], exchange_name=exchange, event_loop=asyncio.get_running_loop())
    await broker.connect()
    try:
        before = await ready(url, queue)
        for event in events:
            broker.publish(event)
        deadline = time.monotonic() + 120
        while await ready(url, queue) < before + len(events):
            assert time.monotonic() < deadline, "Rasa's broker did not publish every event"
            await asyncio.sleep(0.05)
    finally:
        await broker.close()


async def ready(url: str, queue: str) -> int:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True, passive=True)
        return declared.declaration_result.message_count


def drain(consumer: Consumer, url: str, queue: str, expected: dict[date, Counter], database: str) -> None:
    """Runs the consumer until the queue is empty with nothing in hand: SIGTERM returns unacknowledged
    messages to the queue, so it is started again until a stop leaves nothing behind."""
    for _ in range(10):
        consumer.start()
        try:
            wait_for(lambda: asyncio.run(ready(url, queue)) == 0 and figures(database) == expected, 180, "the queue drained")
        except AssertionError as error:
            raise AssertionError(f"{error}: counted {figures(database)}, expected {expected}\n{consumer.log.read_text()[-3000:]}") from None
        consumer.stop(signal.SIGTERM)
        if asyncio.run(ready(url, queue)) == 0:
            return
    raise AssertionError("the queue never drained")


def test_killed_mid_stream_and_restarted_the_figures_are_exact(shop_database: str, tmp_path: Path) -> None:
    url = require_rabbitmq()
    suffix = uuid.uuid4().hex[:10]
    queue, exchange = f"test_funnel_{suffix}", f"test-funnel-{suffix}"
    scenario = Scenario()
    for number in range(SHOPPERS):
        scenario.shopper(number)
    expected = scenario.expected
    env = dict(shop_environment(), SHOP_DATABASE_URL=shop_database, RABBITMQ_URL=url, RASA_EVENTS_QUEUE=queue,
               SUPPORT_TIMEZONE="Europe/London", LOG_LEVEL="INFO", FUNNEL_REPORT_SECONDS="1")
    consumer = Consumer(env, tmp_path / "consumer.log")
    try:
        asyncio.run(publish_as_rasa(url, queue, exchange, scenario.events))
        consumer.start()
        wait_for(lambda: total(figures(shop_database)) >= total(expected) // 3, 180, "the consumer counting a third of the facts")
        consumer.stop(signal.SIGKILL)  # mid-stream: events in hand, some counted and not yet acknowledged
        at_kill = total(figures(shop_database))
        assert 0 < at_kill < total(expected), (at_kill, total(expected))
        assert asyncio.run(ready(url, queue)) > 0

        drain(consumer, url, queue, expected, shop_database)
        assert figures(shop_database) == expected, (tmp_path / "consumer.log").read_text()[-3000:]

        # Every event once more, as a broker redelivering the lot would: not one figure moves.
        asyncio.run(publish_as_rasa(url, queue, exchange, scenario.events))
        drain(consumer, url, queue, expected, shop_database)
        assert figures(shop_database) == expected
        log = (tmp_path / "consumer.log").read_text()
        assert "repeats ignored" in log
        print(f"{len(scenario.events)} events twice, {total(expected)} facts; counted at the kill: {at_kill}")
    finally:
        if consumer.process is not None and consumer.process.poll() is None:
            consumer.process.kill()
        asyncio.run(_clean_up(url, queue, exchange))


async def _clean_up(url: str, queue: str, exchange: str) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await channel.exchange_delete(exchange)


def test_the_scenario_covers_every_stage_on_both_days() -> None:
    scenario = Scenario()
    for number in range(SHOPPERS):
        scenario.shopper(number)
    for day in DAYS:
        stages = scenario.expected[day]
        assert all(stages[stage] > 0 for stage in ("conversations", "stock_questions", "basket_adds", "orders_placed",
                                                   "payments_received", "handoffs")), (day, stages)


class DiesAfterCommit:
    """The consumer's shop, except that the process "dies" right after its first commit, before the ack:
    the one moment a kill -9 can only hit by luck, here every time."""

    def __init__(self, shop: Shop) -> None:
        self.shop, self.died = shop, False

    async def call(self, use_case: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        result = await self.shop.call(use_case, *args, **kwargs)
        if not self.died:
            self.died = True
            raise ConnectionResetError("the consumer died after its commit, before its ack")
        return result


async def consume_until_all_read(consumer_shop: Any, url: str, queue: str, events: int, **options: Any) -> Progress:
    """Run the consumer (over `consumer_shop`, which may fail on purpose) until it has read `events` events."""
    progress, stop = Progress(), asyncio.Event()

    async def stop_when_all_read() -> None:
        while progress.events < events:
            await asyncio.sleep(0.02)
        stop.set()

    watcher = asyncio.create_task(stop_when_all_read())
    await asyncio.wait_for(
        run_consumer(consumer_shop, url, queue, zone=ZoneInfo("Europe/London"), stop=stop, progress=progress, **options), 120
    )
    await watcher
    return progress


def counted(shop: Shop) -> dict[date, Counter]:
    """The figures of both test days, the stages with a count only."""
    found: dict[date, Counter] = {day: Counter() for day in DAYS}
    for day in shop.run(funnel_by_day, DAYS[1], 2).days:
        found[day.day] = Counter({stage: count for stage, count in day.counts.items() if count})
    return found


async def test_an_event_whose_commit_landed_but_whose_ack_did_not_counts_once(shop: Shop) -> None:
    url = require_rabbitmq()
    suffix = uuid.uuid4().hex[:10]
    queue, exchange = f"test_funnel_{suffix}", f"test-funnel-{suffix}"
    scenario = Scenario()
    for number in range(12):
        scenario.shopper(number)
    try:
        await publish_as_rasa(url, queue, exchange, scenario.events)
        progress = await consume_until_all_read(DiesAfterCommit(shop), url, queue, len(scenario.events))
        assert progress.facts_seen_before >= 1  # the redelivered event found its facts already counted
        assert counted(shop) == scenario.expected
        assert await ready(url, queue) == 0
    finally:
        await _clean_up(url, queue, exchange)


class DatabaseDownFor:
    """The consumer's shop while the database is down for the first `calls` attempts (nothing is written)."""

    def __init__(self, shop: Shop, calls: int) -> None:
        self.shop, self.left = shop, calls

    async def call(self, use_case: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.left:
            self.left -= 1
            raise ConnectionRefusedError("the database is down")
        return await self.shop.call(use_case, *args, **kwargs)


async def test_a_database_outage_is_retried_with_a_growing_pause_and_nothing_is_lost(shop: Shop) -> None:
    url = require_rabbitmq()
    suffix = uuid.uuid4().hex[:10]
    queue, exchange = f"test_funnel_{suffix}", f"test-funnel-{suffix}"
    scenario = Scenario()
    for number in range(4):
        scenario.shopper(number)
    pauses: list[int] = []

    async def pause(failures: int) -> None:
        pauses.append(failures)

    try:
        await publish_as_rasa(url, queue, exchange, scenario.events)
        await consume_until_all_read(DatabaseDownFor(shop, 3), url, queue, len(scenario.events), pause=pause)
        assert pauses == [1, 2, 3]  # one pause per failure in a row, each before the event went back
        assert [retry_delay(failures) for failures in (1, 2, 3, 8)] == [0.5, 1.0, 2.0, 30.0]
        assert counted(shop) == scenario.expected
    finally:
        await _clean_up(url, queue, exchange)
