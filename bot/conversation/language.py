"""The shopper's language for this turn, and their message in the engine's English.

The conversation engine reasons in English: `hear()` decides the language the conversation goes on in
(bot/languages/detection.py) and hands the engine the message with its Indonesian or Finnish shopping
words mapped to English (bot/languages/terms.py); the replies are translated on the way out (the engine
speaks within `speaking(state.language)`). A tapped button has no words to detect: the language stays.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from bot.conversation.heard import Heard
from bot.conversation.state import DialogueState
from bot.identity.customers import PHONE_CHANNELS
from bot.languages import SUPPORTED, conversation_language, foreign_language
from bot.markets.lookup import market_for, phone_country
from bot.languages.terms import term, to_english
from bot.kernel.models import Place, Store
from bot.kernel.unit_of_work import UnitOfWork, read_only
from bot.kernel.shop import Shop

__all__ = ["foreign_language", "hear"]
# Entities whose values are words of the shopper's language ("coklat", "sininen"); names stay as they are.
_WORD_ENTITIES = ("colour", "size", "product", "quantity")


@read_only
def place_names(uow: UnitOfWork) -> tuple[str, ...]:
    """Store ids and names and the places "nearest to …" knows: the names a Finnish case ending can follow."""
    stores = uow.session.execute(select(Store.id, Store.name)).all()
    places = uow.session.execute(select(Place.name)).scalars().all()
    return tuple({*(name for row in stores for name in row), *places})


async def _phone_market_language(shop: Shop, conversation_id: str) -> str:
    """A new conversation from a phone starts in the language of its number's market (+62: Bahasa Indonesia):
    a first message too short to tell ("trailblazer 9 grand indonesia") is answered in it."""
    phone = conversation_id.partition(":")[2].removeprefix("whatsapp:")
    market = await shop.call(market_for, None, phone, None)
    return market.language if market is not None and phone_country(phone) == market.country and market.language in SUPPORTED else "en"


def _in_english(value: str, language: str) -> str:
    """An entity value in English: a single word ("coklat") or a phrase ("sepatu trailblazer")."""
    word = term(value, language)
    return word if word != value else to_english(value, language)


async def hear(shop: Shop, heard: Heard, state: DialogueState) -> tuple[Heard, DialogueState]:
    """The message in the engine's English, and the state with the conversation's language for this turn."""
    if heard.tapped or not heard.text.strip():
        return heard, state
    if state == DialogueState() and heard.channel in PHONE_CHANNELS:
        state = replace(state, language=await _phone_market_language(shop, heard.conversation_id))
    language = conversation_language(state.language, heard.text)
    state = replace(state, language=language) if language != state.language else state
    if language == "en":
        return heard, state
    names = await shop.call(place_names) if language == "fi" else ()
    entities = {key: _in_english(value, language) if key in _WORD_ENTITIES else value for key, value in heard.entities.items()}
    return replace(heard, text=to_english(heard.text, language, names), entities=entities), state
