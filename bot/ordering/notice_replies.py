"""Replies about click-and-collect pickups: the ready alert, the reminder and the last notice.

Each says the pickup code, the store and its address, the store's hours today and how long the order
is held, in one SMS-sized message. Times are the store's local times.
"""

from __future__ import annotations

from babel.dates import format_date

from bot.languages import _
from bot.languages.catalogue import locale_for
from bot.kernel.money import format_money
from bot.catalog.store_replies import format_hours
from bot.ordering.pickup_alerts import HOLD_ENDING, PICKUP_REMINDER, READY_ALERT, PickupNotice


def held_until_phrase(notice: PickupNotice) -> str:
    """"17:00 today", "17:00 tomorrow" or "17:00 on Thu 9 May" (the store's local time)."""
    when = notice.held_until
    clock = when.strftime("%H:%M")
    days_ahead = (when.date() - notice.today).days
    if days_ahead == 0:
        return _("{time} today").format(time=clock)
    if days_ahead == 1:
        return _("{time} tomorrow").format(time=clock)
    return _("{time} on {date}").format(time=clock, date=format_date(when.date(), "EEE d MMM", locale=locale_for(notice.locale)))


def _where(notice: PickupNotice) -> str:
    return f"{notice.store_name}, {notice.address}, {notice.postcode}"


def _hours(notice: PickupNotice) -> str:
    return format_hours(notice.store_name, notice.hours_today, notice.today, notice.locale)


def _payment(notice: PickupNotice) -> str:
    if notice.amount_due_minor is None:
        return ""
    return _(" Pay {amount} when you collect.").format(amount=format_money(notice.amount_due_minor, notice.currency, notice.locale))


def format_order_ready(notice: PickupNotice) -> str:
    """The alert sent when the store marks the order ready."""
    return (
        _("Good news: your order {reference} is ready to collect from {where}. Your pickup code is {pickup_code}. {hours} We'll hold it for you until {held_until_phrase}.{payment}").format(reference=notice.reference, where=_where(notice), pickup_code=notice.pickup_code, hours=_hours(notice), held_until_phrase=held_until_phrase(notice), payment=_payment(notice))
    )


def format_pickup_reminder(notice: PickupNotice) -> str:
    """The reminder for a ready order that has not been collected."""
    return (
        _("A reminder: your order {reference} is waiting for you at {where}. Your pickup code is {pickup_code}. {hours} We'll hold it until {held_until_phrase}.{payment}").format(reference=notice.reference, where=_where(notice), pickup_code=notice.pickup_code, hours=_hours(notice), held_until_phrase=held_until_phrase(notice), payment=_payment(notice))
    )


def format_hold_ending(notice: PickupNotice) -> str:
    """The last notice before the hold lapses."""
    return (
        _("Last call: we can only hold your order {reference} at {where} until {held_until_phrase}. Your pickup code is {pickup_code}. {hours}{payment}").format(reference=notice.reference, where=_where(notice), held_until_phrase=held_until_phrase(notice), pickup_code=notice.pickup_code, hours=_hours(notice), payment=_payment(notice))
    )


_FORMATTERS = {
    READY_ALERT: format_order_ready,
    PICKUP_REMINDER: format_pickup_reminder,
    HOLD_ENDING: format_hold_ending,
}


def format_order_event(kind: str, notice: PickupNotice) -> str | None:
    """The text for an alert of `kind`, or None when the order is no longer waiting to be collected.

    Raises:
        KeyError: `kind` is not an alert kind.
    """
    formatter = _FORMATTERS[kind]
    if notice.status != "ready":
        return None
    return formatter(notice)
