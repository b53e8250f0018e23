"""The sweeper: durable timers, the notice outbox and retries, run every few seconds on every replica.

Each step claims its rows in the database (SKIP LOCKED on PostgreSQL), so replicas share the work and
nothing runs twice; a crash or restart loses nothing because the timers and notices are rows, not tasks.
Every bot server runs it in-process; `python -m bot.orchestration.sweeper` runs it on its own.

The steps take the process's context (`app.ctx` in a bot server): `shop`, `rasa` and `signals`.
"""

from __future__ import annotations

import asyncio
import time
import logging
from typing import Any, Awaitable, Callable

from bot.adapters.rasa_client import RasaUnavailable
from bot.identity.customers import parse_conversation_id
from bot.messaging.channels.conversation import ConversationOutlet
from bot.messaging.channels.registry import build_senders
from bot.messaging.channels.types import OutboundText
from bot.orchestration.push import conversation_push
from bot.orchestration.web_forwarding import RASA_DOWN_REPLY
from bot.orchestration.message_retries import retry_due_messages
from bot.ordering.notices import DeliveryPolicy
from bot.orchestration.notice_delivery import deliver_due_notices
from bot.ordering.hold_expiry import expire_due_holds
from bot.ordering.pickup_alerts import AlertPolicy, schedule_missing_alerts
from bot.messaging.transcript import record_message
from bot.messaging.turn_effects import forget_old
from bot.messaging.web_lines import WEB_CHANNEL, UnansweredLine, claim_unanswered_lines, give_back

logger = logging.getLogger(__name__)


async def release_expired_holds(ctx: Any) -> None:
    # Each expiry queues its notice in the same transaction; `deliver_notices` sends it.
    await ctx.shop.call(expire_due_holds)


UNREACHABLE_PAUSE_SECONDS = 30.0


async def deliver_notices(ctx: Any) -> None:
    await ctx.shop.call(schedule_missing_alerts, None, AlertPolicy.from_settings(ctx.shop.settings))
    push = conversation_push(ctx)
    if push is None or time.monotonic() < getattr(ctx, "notices_paused_until", 0.0):
        return
    report = await deliver_due_notices(ctx.shop, push, policy=DeliveryPolicy.from_settings(ctx.shop.settings))
    if report.unreachable:
        # Its Rasa refused: the outbox is left to replicas whose Rasa answers. A sweeper that recorded the
        # failure polls in step with the retry time it set, so it claimed each retry first and failed it again
        # (seen in test_notice_outbox: the other replica never got the notice within 2 minutes).
        ctx.notices_paused_until = time.monotonic() + UNREACHABLE_PAUSE_SECONDS


async def retry_failed_messages(ctx: Any) -> None:
    if not hasattr(ctx, "senders"):
        ctx.senders = build_senders(ctx.shop)
    await retry_due_messages(ctx.shop, ctx.senders)


async def finish_unanswered_lines(ctx: Any) -> None:
    """Shopper lines left with no outcome by a crash (any channel): handed to Rasa again (same id), or apologised for."""
    for line in await ctx.shop.call(claim_unanswered_lines):
        logger.warning("%s line %s had no answer; handing it to Rasa again", line.channel, line.message_id)
        try:
            await ctx.rasa.redrive_line(line.line_id)
        except RasaUnavailable as error:
            if error.timed_out:
                # Rasa took the line and is still on it (a slow turn under load): the turn replies or
                # apologises by itself; an apology here as well would be a second outcome.
                logger.warning("line %s: its turn outlasted the wait (%s)", line.message_id, error)
                continue
            if error.retryable and line.worth_another_try():
                logger.warning("no Rasa replica took %s (%s); offering it again at the next sweep", line.message_id, error)
                await ctx.shop.call(give_back, line)
                continue
            await apologise_for_line(ctx, line)
        if line.channel == WEB_CHANNEL and getattr(ctx, "signals", None) is not None:
            await ctx.signals.publish(line.conversation_id)


async def apologise_for_line(ctx: Any, line: UnansweredLine) -> None:
    """Rasa is still down: the shopper hears that rather than silence, on the line's own channel."""
    apology = RASA_DOWN_REPLY.format(phone=ctx.shop.settings.support_phone)
    if line.channel == WEB_CHANNEL:
        await ctx.shop.call(record_message, line.conversation_id, WEB_CHANNEL, "bot", apology)
        return
    if not hasattr(ctx, "senders"):
        ctx.senders = build_senders(ctx.shop)
    sender = ctx.senders.get(line.channel)
    if sender is None:
        logger.error("no sender for %s: line %s stays unanswered", line.channel, line.message_id)
        return
    address = parse_conversation_id(line.conversation_id).address
    message = OutboundText(line.channel, address, apology, line.conversation_id)
    await ConversationOutlet(ctx.shop, sender).deliver(line.conversation_id, [message], transcript_text=apology)


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
