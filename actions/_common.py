"""Small helpers for the actions (no SQL, no HTTP: those live in bot/)."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.identity.customers import WEB_CHANNEL
from bot.kernel.shop import Shop, process_shop


def shop() -> Shop:
    return process_shop()


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
