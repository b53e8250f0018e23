"""Every channel's messages pass the same door: card numbers masked before storing or forwarding,
over-long messages answered politely and never forwarded (bot/kernel/inbound_text.py)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.kernel.inbound_text import MAX_INBOUND_CHARS, TOO_LONG_REPLY
from bot.kernel.models import ChatMessage, OutboundMessage
from bot.kernel.shop import Shop
from tests.connectors.helpers import serve_blueprint
from tests.support.channel_rigs import RIGS, AnsweringRasa

# The probe's ten ways of typing one test card (4242 4242 4242 4242).
CARD_VARIANTS = [
    "4242424242424242",
    "4242 4242 4242 4242",
    "4242-4242-4242-4242",
    "4242.4242.4242.4242",
    "4242/4242/4242/4242",
    "4242\u00a04242\u00a04242\u00a04242",
    "4242  4242  4242  4242",
    "4242 4242 42424242",
    "4242\u20134242\u20134242\u20134242",
    "4242\u202f4242\u202f4242\u202f4242",
]
PAY_LINK = "http://localhost:5055/pay/cs_sandbox_6ddaf34de40e4242424242424242"


def clear_card_numbers(text: str) -> list[str]:
    """The full card numbers readable in `text`, whatever separators it uses (an independent check)."""
    digits = re.sub(r"[^\d]", "", text)
    return [card for card in ("4242424242424242",) if card in digits]


@pytest.mark.parametrize("channel", sorted(RIGS))
async def test_card_numbers_are_masked_before_storing_and_forwarding(shop: Shop, channel: str) -> None:
    rig = RIGS[channel]
    connector, rasa = rig.build(shop), AnsweringRasa()
    async with serve_blueprint(connector.blueprint(rasa), f"/webhooks/{channel}") as client:
        for number, card in enumerate(CARD_VARIANTS, start=1):
            body, headers = rig.sign(rig.message(f"my card is {card} exp 12/30", number))
            assert (await client.post(rig.path, content=body, headers=headers)).status_code == 200
        await connector.tasks.drain()
    with shop.uow() as uow:
        stored = list(uow.session.scalars(select(ChatMessage.text).where(ChatMessage.author == "user")))
    forwarded = [str(message.text) for message in rasa.messages]
    assert len(stored) == len(forwarded) == len(CARD_VARIANTS)
    assert [clear_card_numbers(text) for text in stored + forwarded] == [[]] * (2 * len(CARD_VARIANTS))
    assert all(text.endswith("4242 exp 12/30") for text in forwarded)  # last four and the expiry stay readable


@pytest.mark.parametrize("channel", sorted(RIGS))
async def test_an_over_long_message_gets_a_polite_reply_and_no_turn(shop: Shop, channel: str) -> None:
    rig = RIGS[channel]
    connector, rasa = rig.build(shop), AnsweringRasa()
    async with serve_blueprint(connector.blueprint(rasa), f"/webhooks/{channel}") as client:
        long_body, long_headers = rig.sign(rig.message("boots " * (MAX_INBOUND_CHARS // 6 + 1), 1))
        at_cap, at_cap_headers = rig.sign(rig.message("b" * MAX_INBOUND_CHARS, 2))
        assert (await client.post(rig.path, content=long_body, headers=long_headers)).status_code == 200
        assert (await client.post(rig.path, content=at_cap, headers=at_cap_headers)).status_code == 200
        await connector.tasks.drain()
    assert [len(str(message.text)) for message in rasa.messages] == [MAX_INBOUND_CHARS]  # only the one at the cap
    with shop.uow() as uow:
        replies = list(uow.session.scalars(select(OutboundMessage.body).order_by(OutboundMessage.id)))
    # The polite reply and the turn's answer are sent by separate tasks: either may be stored first.
    assert sorted(replies) == sorted([TOO_LONG_REPLY, "ok"])


@pytest.mark.parametrize("channel", sorted(RIGS))
async def test_the_assistants_own_links_reach_rasa_as_typed(shop: Shop, channel: str) -> None:
    # A shopper pasting back the pay link: digits inside a token are not a card number.
    rig = RIGS[channel]
    connector, rasa = rig.build(shop), AnsweringRasa()
    async with serve_blueprint(connector.blueprint(rasa), f"/webhooks/{channel}") as client:
        body, headers = rig.sign(rig.message(f"is this right? {PAY_LINK}", 1))
        assert (await client.post(rig.path, content=body, headers=headers)).status_code == 200
        await connector.tasks.drain()
    assert [str(message.text) for message in rasa.messages] == [f"is this right? {PAY_LINK}"]
