"""Replies of the notices pushed into a conversation: the pickup alerts (ready, the reminder, the last
notice) and the payment news (received, failed, refunded, the hold that ran out).

Each is one SMS-sized message worded from a `PickupNotice` (what the outbox read with its claim). The
alerts say the pickup code, the store and its address, the store's hours today and how long the order is
held. Times are the store's local times.
"""

from __future__ import annotations

from babel.dates import format_date

from bot.identity.customers import PHONE_CHANNELS
from bot.languages import _
from bot.languages.catalogue import locale_for
from bot.kernel.money import format_money
from bot.catalog.store_replies import format_hours
from bot.ordering.checkout_replies import local_time
from bot.ordering.notices import HOLD_EXPIRED, PAYMENT_FAILED, PAYMENT_RECEIVED, PAYMENT_REFUNDED
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


def _held(notice: PickupNotice) -> str:
    return local_time(notice.held_until, tz=None)  # held_until is already the store's local time


def format_payment_received(notice: PickupNotice, channel: str | None = None) -> str:
    return (
        (_("Payment received for {reference}, thank you! Your pickup code is {pickup_code}. Collect from {store_name}, {address}; we'll hold it until {time} and text you when it's ready.")
         if channel in PHONE_CHANNELS else
         # Only a text message channel can promise a text; a web or Messenger shopper hears back where they are.
         _("Payment received for {reference}, thank you! Your pickup code is {pickup_code}. Collect from {store_name}, {address}; we'll hold it until {time} and message you here when it's ready."))
        .format(reference=notice.reference, pickup_code=notice.pickup_code, store_name=notice.store_name,
                address=f"{notice.address}, {notice.postcode}", time=_held(notice))
    )


def format_payment_failed(notice: PickupNotice) -> str:
    return _('The payment for {reference} didn\'t go through. Your items stay reserved until {time}. Say "new link" to try again.').format(
        reference=notice.reference, time=_held(notice))


def format_payment_refunded(notice: PickupNotice) -> str:
    return _("We've refunded {amount} for {reference}; it can take 5–10 working days to show.").format(
        amount=format_money(notice.total_minor, notice.currency, notice.locale), reference=notice.reference)


def format_hold_expired(notice: PickupNotice) -> str:
    return _('The hold on order {reference} ran out before payment, so the items went back on sale. Say "new link" and I\'ll try to reserve them again.').format(
        reference=notice.reference)


_ALERTS = {
    READY_ALERT: format_order_ready,
    PICKUP_REMINDER: format_pickup_reminder,
    HOLD_ENDING: format_hold_ending,
}
_NEWS = {
    PAYMENT_FAILED: format_payment_failed,
    PAYMENT_REFUNDED: format_payment_refunded,
    HOLD_EXPIRED: format_hold_expired,
}


def format_notice(kind: str, notice: PickupNotice, channel: str | None = None) -> str | None:
    """The text for a notice of `kind`, or None for a pickup alert whose order is no longer waiting to be
    collected (news about a payment or a hold is always told).

    Raises:
        KeyError: `kind` is not a notice kind.
    """
    if kind == PAYMENT_RECEIVED:
        return format_payment_received(notice, channel)
    if kind in _NEWS:
        return _NEWS[kind](notice)
    formatter = _ALERTS[kind]
    if notice.status != "ready":
        return None
    return formatter(notice)
