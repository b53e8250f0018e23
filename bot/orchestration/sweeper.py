"""`python -m bot.orchestration.sweeper`: the sweeper on its own, without the HTTP server.

Every bot server already sweeps; this runs the same steps (`bot.orchestration.sweep`) in a process of its
own, for a deployment that wants one, and for the tests and the chaos run, which kill it with -9 to show
that a dead sweeper delays work (hold expiries, notices) but loses none of it. SHOP_SWEEP_SECONDS sets the
interval; SHOP_SWEEP_ONCE=1 runs one sweep and exits.
"""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

from bot.kernel.config import load_settings
from bot.adapters.rasa_client import RasaClient
from bot.orchestration.pubsub import ConversationSignals
from bot.orchestration.sweep import sweep_forever, sweep_once
from bot.kernel.shop import Shop


async def run(once: bool = False) -> None:
    shop = Shop()
    ctx = SimpleNamespace(shop=shop, rasa=RasaClient(shop.settings), signals=ConversationSignals())
    if shop.settings.redis_url:
        await ctx.signals.bridge_redis(shop.settings.redis_url)  # wakes web chat streams on the bot servers
    try:
        await (sweep_once(ctx) if once else sweep_forever(ctx))
    finally:
        await ctx.rasa.close()
        await ctx.signals.close()
        shop.close()


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run(once=settings.sweep_once))


if __name__ == "__main__":
    main()
