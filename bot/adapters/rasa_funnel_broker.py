"""Embedded mode's event broker: Rasa's own process counts the funnel facts of each tracker event.

Without RabbitMQ (`make run`) nothing carries Rasa's events to a consumer, so endpoints.yml names this
broker: Rasa hands it every new tracker event as it saves a conversation, and it records the event's
funnel facts (bot/funnel/facts.py) in the commerce database, exactly as the production consumer does.
The figures mean the same in both modes. The difference: here an event is counted after Rasa has saved
the turn, on a worker thread, with no queue in between, so a Rasa process killed in that moment loses
that event's facts (production's queue redelivers them instead).

    event_broker:
      type: bot.adapters.rasa_funnel_broker.FunnelEventBroker
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional, Text

from rasa.core.brokers.broker import EventBroker

from bot.funnel.facts import facts_of, report_zone
from bot.funnel.figures import record_facts
from bot.kernel.shop import Shop

logger = logging.getLogger(__name__)


class FunnelEventBroker(EventBroker):
    def __init__(self, shop: Shop | None = None) -> None:
        self._shop = shop
        self._zone = report_zone()
        self._pending: set[asyncio.Task] = set()

    @classmethod
    async def from_endpoint_config(cls, broker_config: Any, event_loop: Any = None) -> "FunnelEventBroker":
        return cls()

    @property
    def shop(self) -> Shop:
        if self._shop is None:
            self._shop = Shop()  # on first use, not at Rasa's start-up: nothing connects before it is needed
        return self._shop

    def publish(self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None) -> None:
        facts = facts_of(event, self._zone)
        if not facts:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._record(facts)
            return
        # Rasa calls this from its event loop while saving a turn: the write goes to a worker thread.
        task = loop.create_task(asyncio.to_thread(self._record, facts))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _record(self, facts: list) -> None:
        try:
            self.shop.run(record_facts, facts)
        except Exception:  # noqa: BLE001 - the figures miss this event; the conversation goes on
            logger.exception("could not count %d funnel facts", len(facts))

    async def close(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self._shop is not None:
            self._shop.close()
