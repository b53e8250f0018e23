"""The sweeper: durable timers, the notice outbox and retries, run every few seconds on every replica.

Each step claims its rows in the database (SKIP LOCKED on PostgreSQL), so replicas share the work and
nothing runs twice; a crash or restart loses nothing because the timers and notices are rows, not tasks.
Every bot server runs it in-process; `python -m bot.orchestration.sweeper` runs it on its own.

The steps take the process's context (`app.ctx` in a bot server): `shop`, `rasa` and `signals`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from bot.adapters.rasa_client import RasaUnavailable
from bot.messaging.channels.registry import build_senders
from bot.orchestration.push import conversation_push
from bot.orchestration.web_forwarding import RASA_DOWN_REPLY, forward_line
from bot.orchestration.message_retries import retry_due_messages
from bot.ordering.notices import DeliveryPolicy
from bot.orchestration.notice_delivery import deliver_due_notices
from bot.ordering.hold_expiry import expire_due_holds
from bot.ordering.pickup_alerts import AlertPolicy, schedule_missing_alerts
from bot.messaging.transcript import record_message
from bot.messaging.turn_effects import forget_old
from bot.messaging.web_lines import WEB_CHANNEL, claim_unanswered_lines

logger = logging.getLogger(__name__)


async def release_expired_holds(ctx: Any) -> None:
    # Each expiry queues its notice in the same transaction; `deliver_notices` sends it.
    await ctx.shop.call(expire_due_holds)


async def deliver_notices(ctx: Any) -> None:
    await ctx.shop.call(schedule_missing_alerts, None, AlertPolicy.from_settings(ctx.shop.settings))
    push = conversation_push(ctx)
    if push is not None:
        await deliver_due_notices(ctx.shop, push, policy=DeliveryPolicy.from_settings(ctx.shop.settings))


async def retry_failed_messages(ctx: Any) -> None:
    if not hasattr(ctx, "senders"):
        ctx.senders = build_senders(ctx.shop)
    await retry_due_messages(ctx.shop, ctx.senders)


async def finish_unanswered_lines(ctx: Any) -> None:
    """Web chat lines left with no outcome by a crash: forwarded again (same id), or apologised for."""
    for line in await ctx.shop.call(claim_unanswered_lines):
        logger.warning("web chat line %s had no answer; forwarding it again", line.message_id)
        try:
            await forward_line(ctx.rasa, line.conversation_id, line.text, line.message_id)
        except RasaUnavailable:
            apology = RASA_DOWN_REPLY.format(phone=ctx.shop.settings.support_phone)
            await ctx.shop.call(record_message, line.conversation_id, WEB_CHANNEL, "bot", apology)
        if getattr(ctx, "signals", None) is not None:
            await ctx.signals.publish(line.conversation_id)


async def forget_old_turn_effects(ctx: Any) -> None:
    await ctx.shop.call(forget_old)


SWEEP_STEPS: tuple[Callable[[Any], Awaitable[None]], ...] = (
    release_expired_holds,
    deliver_notices,
    retry_failed_messages,
    finish_unanswered_lines,
    forget_old_turn_effects,
)


async def sweep_once(ctx: Any) -> None:
    for step in SWEEP_STEPS:
        try:
            await step(ctx)
        except Exception:  # noqa: BLE001 - one failing step must not stop the others or the loop
            logger.exception("sweep step %s failed", step.__name__)


async def sweep_forever(ctx: Any) -> None:
    interval = ctx.shop.settings.sweep_interval_seconds
    while True:
        await sweep_once(ctx)
        await asyncio.sleep(interval)
