"""Replies about stores: hours on a day, the week's hours, how to get there, the nearest stores."""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date

from bot.catalog.hours import DayHours
from bot.languages import _
from bot.languages.catalogue import locale_for
from bot.languages.wording import distance_text, human_list
from bot.catalog.stores import NearestStores, StoreDayHours, StoreDetails, StoreStatus

MAX_EXCEPTIONS = 3


def _span(opens: str | None, closes: str | None) -> str:
    return f"{opens}–{closes}"


def day_phrase(day: date, today: date, note: str | None = None, locale: str = "en_GB") -> str:
    """"today (Thu)", "tomorrow (Fri)", "on Boxing Day (Sat 26 Dec)" or "on Sat 28 Nov"."""
    locale = locale_for(locale)
    if day == today:
        return _("today ({weekday})").format(weekday=format_date(day, 'EEE', locale=locale))
    if day == today + timedelta(days=1) and note is None:
        return _("tomorrow ({weekday})").format(weekday=format_date(day, 'EEE', locale=locale))
    when = format_date(day, "EEE d MMM", locale=locale)
    return _("on {note} ({date})").format(note=note, date=when) if note else _("on {date}").format(date=when)


def format_hours(store_name: str, hours: DayHours, today: date, locale: str = "en_GB") -> str:
    """"Arndale is open today (Thu) 09:00–20:00." / "Didsbury is closed on Christmas Day (Fri 25 Dec)."."""
    when = day_phrase(hours.day, today, hours.note, locale)
    if hours.is_closed:
        return _("{store} is closed {when}.").format(store=store_name, when=when)
    return _("{store} is open {when} {hours}.").format(store=store_name, when=when, hours=_span(hours.opens, hours.closes))


def format_day_hours(day_hours: StoreDayHours, locale: str = "en_GB") -> str:
    """`format_hours` for the result of `opening_hours_on`."""
    return format_hours(day_hours.store.name, day_hours.hours, day_hours.today, locale)


def format_store_status(status: StoreStatus) -> str:
    """"Arndale is open now until 20:00." or when it next opens today."""
    name, hours = status.store.name, status.hours
    if status.is_open:
        return _("{store} is open now until {closes}.").format(store=name, closes=hours.closes)
    now = status.local_time.strftime("%H:%M")
    if not hours.is_closed and hours.opens is not None and now < hours.opens:
        return _("{store} is closed right now; it opens at {opens} today.").format(store=name, opens=hours.opens)
    if hours.note and hours.is_closed:
        return _("{store} is closed right now ({reason}).").format(store=name, reason=hours.note)
    return _("{store} is closed right now.").format(store=name)


def format_store_details(details: StoreDetails) -> str:
    """Address, phone and a directions link in one message."""
    return (
        f"{details.store.name}: {details.address}, {details.postcode}. "
        + _("Tel {phone}. Directions: {url}").format(phone=details.phone, url=details.directions_url)
    )


def format_nearest_stores(nearest: NearestStores) -> str:
    """"Nearest to Chorlton: Didsbury (3.4 km), Salford Quays (3.9 km) and Trafford Centre (5.2 km)."."""
    stores = [f"{entry.store.name} ({distance_text(entry.distance_km)})" for entry in nearest.stores]
    return _("Nearest to {place}: {stores}.").format(place=nearest.place_name, stores=human_list(stores))


