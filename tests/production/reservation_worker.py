"""`python -m tests.production.reservation_worker DB_URL STORE PREFIX COUNT`: places the carts of
conversations PREFIX-0 .. PREFIX-(COUNT-1) as orders, one line of output per conversation.

It stands in for the action server's "place my order" step, so a test can kill -9 it mid-way and then
run it again, as Rasa re-runs an action whose call failed: an order already placed leaves an empty cart,
so the retry reports it instead of placing it twice.
"""

from __future__ import annotations

import sys

from bot.kernel.config import Settings
from bot.ordering.rules import EmptyCart
from bot.ordering.placing import place_order
from bot.kernel.shop import Shop


def main(database_url: str, store_id: str, prefix: str, count: int) -> int:
    shop = Shop(Settings(database_url=database_url))
    try:
        for index in range(count):
            try:
                order = shop.run(place_order, f"{prefix}-{index}", "web", store_id, "link")
                print(f"placed {index} {order.reference}", flush=True)
            except EmptyCart:
                print(f"already {index}", flush=True)
    finally:
        shop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
