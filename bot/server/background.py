"""The bot server's sweeper: durable timers and retries, run every few seconds on every replica.

Each step claims its rows in the database (SKIP LOCKED on PostgreSQL), so replicas share the work and
nothing runs twice; a crash or restart loses nothing because the timers are rows, not tasks.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from sanic import Sanic

from bot.channels.registry import build_senders
from bot.services.messaging import retry_due_messages
from bot.services.orders import expire_due_holds
from bot.services.pickup_alerts import AlertPolicy, deliver_due_alerts, schedule_missing_alerts

logger = logging.getLogger(__name__)


async def release_expired_holds(app: Sanic) -> None:
    for order in await app.ctx.shop.call(expire_due_holds):
        await app.ctx.push.external_event(
            order.conversation_id, order.channel, "EXTERNAL_hold_expired", {"order_reference": order.reference}
        )


async def send_pickup_alerts(app: Sanic) -> None:
    policy = AlertPolicy.from_settings(app.ctx.shop.settings)
    await app.ctx.shop.call(schedule_missing_alerts, None, policy)
    await deliver_due_alerts(app.ctx.shop, app.ctx.rasa, policy=policy)


async def retry_failed_messages(app: Sanic) -> None:
    if not hasattr(app.ctx, "senders"):
        app.ctx.senders = build_senders(app.ctx.shop)
    await retry_due_messages(app.ctx.shop, app.ctx.senders)


SWEEP_STEPS: tuple[Callable[[Sanic], Awaitable[None]], ...] = (
    release_expired_holds,
    send_pickup_alerts,
    retry_failed_messages,
)


async def sweep_once(app: Sanic) -> None:
    for step in SWEEP_STEPS:
        try:
            await step(app)
        except Exception:  # noqa: BLE001 - one failing step must not stop the others or the loop
            logger.exception("sweep step %s failed", step.__name__)


async def sweep_forever(app: Sanic) -> None:
    interval = app.ctx.shop.settings.sweep_interval_seconds
    while True:
        await sweep_once(app)
        await asyncio.sleep(interval)
