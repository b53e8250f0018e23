"""Small helpers shared by the action modules (no SQL, no HTTP: those live in bot/)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from bot.channels.types import PHONE_CHANNELS
from bot.services.catalog import match_store
from bot.services.identity import WEB_CHANNEL
from bot.shop import Shop, process_shop

ANY_VALUE = "any"


def shop() -> Shop:
    return process_shop()


def latest_text(tracker: Tracker) -> str:
    """The shopper's latest words; a button payload like '/intent{...}' carries none."""
    text = (tracker.latest_message or {}).get("text") or ""
    return "" if text.startswith("/") else text


def latest_entity(tracker: Tracker, name: str) -> Any:
    """An entity from the latest message, e.g. one a button payload carries."""
    return next(tracker.get_latest_entity_values(name), None)


def button(title: str, payload: str) -> dict[str, str]:
    return {"title": title, "payload": payload}


async def store_from_entity(tracker: Tracker) -> str | None:
    """The store id a `store` entity names (from NLU or a button payload), whatever spelling it uses."""
    value = latest_entity(tracker, "store")
    if not value:
        return None
    store = await shop().call(match_store, str(value))
    return store.store_id if store else None


def conversation_channel(tracker: Tracker) -> str:
    """The channel this conversation is on: Rasa's input channel, else the sender id's prefix."""
    channel = tracker.get_latest_input_channel()
    if channel and channel not in {"rest", "cmdline"}:
        return str(channel)
    sender = tracker.sender_id or ""
    if sender.startswith("web-"):
        return WEB_CHANNEL
    prefix, separator, _ = sender.partition(":")
    return prefix if separator and prefix else WEB_CHANNEL


def on_phone_channel(tracker: Tracker) -> bool:
    """True on SMS and WhatsApp, where the conversation already comes from the shopper's phone."""
    return conversation_channel(tracker) in PHONE_CHANNELS
