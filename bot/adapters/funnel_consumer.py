"""The funnel consumer: Rasa's tracker events from RabbitMQ, counted into the per-day funnel figures.

    .venv/bin/python -m bot.adapters.funnel_consumer       # runs until SIGTERM / Ctrl-C

Every Rasa replica publishes each tracker event to the queue RASA_EVENTS_QUEUE (deploy/endpoints.production.yml).
For each event this process works out its funnel facts (bot/funnel/facts.py), writes the new ones to
`funnel_facts` in the commerce database and commits, and only then acknowledges the event. Killed in
between, the event is delivered again and its facts are found already counted (each has a key), so the
figures neither lose nor double anything. Several consumers may share the queue for the same reason.

Settings: SHOP_DATABASE_URL (the commerce database), RABBITMQ_URL or RABBITMQ_HOST/PORT/USER/PASSWORD,
RASA_EVENTS_QUEUE (default rasa_events), SUPPORT_TIMEZONE (whose days are counted), FUNNEL_REPORT_SECONDS
(how often a progress line is logged, default 60).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from dataclasses import dataclass
from typing import Awaitable, Callable
from zoneinfo import ZoneInfo

from bot.adapters.event_stream import ConversationEvent, consume_events, rabbitmq_url_from_env
from bot.funnel.facts import facts_of, report_zone
from bot.funnel.figures import record_facts
from bot.kernel.config import load_settings
from bot.kernel.shop import Shop

logger = logging.getLogger(__name__)


@dataclass
class Progress:
    events: int = 0
    facts_new: int = 0
    facts_seen_before: int = 0

    def line(self) -> str:
        return f"funnel consumer: {self.events} events read, {self.facts_new} facts counted, {self.facts_seen_before} repeats ignored"


def retry_delay(failures: int) -> float:
    """Seconds to wait before handing back an event whose counting failed: 0.5 s doubling to 30 s."""
    return min(30.0, 0.5 * 2 ** (failures - 1))


async def run_consumer(
    shop: Shop, url: str, queue: str, *, zone: ZoneInfo | None = None, stop: asyncio.Event | None = None,
    progress: Progress | None = None, prefetch: int = 50, pause: Callable[[int], Awaitable[None]] | None = None,
) -> Progress:
    """Counts every event on `queue` until `stop` is set; an event is acknowledged after its facts are committed.

    Args:
        pause: awaited with the number of failures in a row before a failed event goes back to the queue
            (default: sleep `retry_delay`), so a database outage is retried calmly, not in a tight loop.
    """
    zone = zone or report_zone()
    progress = progress or Progress()
    failures = 0

    async def count(event: ConversationEvent) -> None:
        nonlocal failures
        facts = facts_of(event.raw, zone)
        if facts:
            try:
                new = await shop.call(record_facts, facts)
            except Exception:
                failures += 1
                await (pause or _sleep)(failures)
                raise  # the event goes back to the queue and comes again
            failures = 0
            progress.facts_new += new
            progress.facts_seen_before += len(facts) - new
        progress.events += 1

    await consume_events(url, queue, count, stop=stop, prefetch=prefetch)
    return progress


async def _sleep(failures: int) -> None:
    await asyncio.sleep(retry_delay(failures))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.adapters.funnel_consumer", description=__doc__.splitlines()[0])
    settings = load_settings()
    parser.add_argument("--queue", default=settings.rasa_events_queue)
    args = parser.parse_args(argv)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    every = float(settings.funnel_report_seconds)

    async def run() -> None:
        stop, progress, shop = asyncio.Event(), Progress(), Shop()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)  # finish the event in hand, then leave

        async def report() -> None:
            while not stop.is_set():
                await asyncio.sleep(every)
                logger.info(progress.line())

        reporter = asyncio.create_task(report())
        logger.info("funnel consumer: reading queue %s, days in %s", args.queue, report_zone().key)
        try:
            await run_consumer(shop, rabbitmq_url_from_env(), args.queue, stop=stop, progress=progress)
        finally:
            reporter.cancel()
            logger.info(progress.line())
            shop.close()

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
