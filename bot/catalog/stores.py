"""Store facts: opening hours (with holiday closures), contact details and the nearest stores to a place.

"Today" is always the date in the store's own time zone at the instant the caller passes in, so a
message sent at 00:30 in London during summer time asks about the new day, and tests stay deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import lazyload
from sqlalchemy import select

from bot.catalog.geo import directions_url, haversine_km
from bot.catalog.hours import DayHours, WeekdayHours, local_date, local_now, resolve_day
from bot.kernel.models import Place, Store, StoreClosure, StoreHours
from bot.catalog.stock_query import StoreRef, UnknownStore
from bot.catalog.query_parts import find_named_phrase
from bot.catalog.shopper_text import normalise_text
from bot.kernel.unit_of_work import UnitOfWork, read_only

__all__ = [
    "DayHours", "NearestStores", "StoreDayHours", "StoreDetails", "StoreDistance", "StoreRef", "StoreStatus",
    "UnknownStore", "WeekHours", "get_store", "list_stores", "nearest_stores", "opening_hours", "opening_hours_on",
    "resolve_day", "store_details", "store_status", "store_today", "week_hours",
]

# Words dropped from place names to give the short form people say ("Piccadilly station" -> "piccadilly").
_PLACE_FILLER = frozenset({"station", "stadium", "manchester", "of", "the"})


@dataclass(frozen=True)
class StoreDetails:
    """How to reach a store."""

    store: StoreRef
    address: str
    postcode: str
    phone: str
    latitude: float
    longitude: float
    timezone: str
    currency: str
    locale: str
    pay_at_pickup: bool
    directions_url: str


@dataclass(frozen=True)
class WeekHours:
    """A store's usual weekly hours, plus the special days (holidays, closures) coming up."""

    store: StoreRef
    days: list[WeekdayHours]
    exceptions: list[DayHours]


@dataclass(frozen=True)
class StoreDayHours:
    """A store's hours on the day a shopper asked about, with the store's own "today" for wording."""

    store: StoreRef
    hours: DayHours
    today: date


@dataclass(frozen=True)
class StoreStatus:
    """Whether a store is open at an instant, with that day's hours in the store's time zone."""

    store: StoreRef
    local_time: datetime
    hours: DayHours
    is_open: bool


@dataclass(frozen=True)
class StoreDistance:
    store: StoreRef
    distance_km: float


@dataclass(frozen=True)
class NearestStores:
    """Stores nearest to a named place, nearest first; `place_name` is the place as the catalogue spells it."""

    place_name: str
    latitude: float
    longitude: float
    stores: list[StoreDistance]


def get_store(uow: UnitOfWork, store_id: str, *, with_hours: bool = True) -> Store:
    """The store row (for use inside services only: do not hand ORM rows to callers).

    `with_hours=False` skips loading the opening hours, for callers on a hot path that never read them.

    Raises:
        UnknownStore: No store has that id.
    """
    store = uow.session.get(Store, store_id, options=[] if with_hours else [lazyload(Store.hours)])
    if store is None:
        raise UnknownStore(store_id)
    return store


@read_only
def list_stores(uow: UnitOfWork, market_id: str | None = None) -> list[StoreRef]:
    """Every store (of one market, when given), by name."""
    query = select(Store.id, Store.name).order_by(Store.name)
    if market_id is not None:
        query = query.where(Store.market_id == market_id)
    rows = uow.session.execute(query).all()
    return [StoreRef(store_id, name) for store_id, name in rows]


def store_today(uow: UnitOfWork, store_id: str, now: datetime) -> date:
    """The date it is at the store at the instant `now` (naive datetimes are taken as UTC)."""
    return local_date(get_store(uow, store_id).timezone, now)


def opening_hours(uow: UnitOfWork, store_id: str, day: date) -> DayHours:
    """A store's hours on a date: a closure row for that date wins over the usual weekday hours.

    Raises:
        UnknownStore: No store has that id.
    """
    get_store(uow, store_id)
    closure = uow.session.get(StoreClosure, (store_id, day))
    if closure is not None:
        return DayHours(day=day, opens=closure.opens, closes=closure.closes, note=closure.reason)
    usual = uow.session.get(StoreHours, (store_id, day.weekday()))
    if usual is None:
        return DayHours(day=day, opens=None, closes=None)
    return DayHours(day=day, opens=usual.opens, closes=usual.closes)


@read_only
def opening_hours_on(uow: UnitOfWork, store_id: str, text: str, now: datetime) -> StoreDayHours:
    """A store's hours on the day a shopper's words name ("tomorrow", "boxing day"), today if none.

    Args:
        uow: Unit of work (read only).
        store_id: The store.
        text: The shopper's message.
        now: The current instant; "today" is taken in the store's time zone.

    Raises:
        UnknownStore: No store has that id.
    """
    store = get_store(uow, store_id)
    today = local_date(store.timezone, now)
    day = resolve_day(text, today) or today
    return StoreDayHours(StoreRef(store.id, store.name), opening_hours(uow, store_id, day), today)


def store_status(uow: UnitOfWork, store_id: str, now: datetime) -> StoreStatus:
    """Is the store open at `now`? Uses the store's time zone and any closure that day."""
    store = get_store(uow, store_id)
    local = local_now(store.timezone, now)
    hours = opening_hours(uow, store_id, local.date())
    return StoreStatus(StoreRef(store.id, store.name), local, hours, hours.is_open_at(local.time()))


def week_hours(uow: UnitOfWork, store_id: str, start: date | None = None, days_ahead: int = 14) -> WeekHours:
    """The usual Monday-Sunday hours, and the special days from `start` for `days_ahead` days.

    Raises:
        UnknownStore: No store has that id.
    """
    store = get_store(uow, store_id)
    rows = {row.weekday: row for row in uow.session.scalars(select(StoreHours).where(StoreHours.store_id == store_id))}
    days = [
        WeekdayHours(weekday, rows[weekday].opens, rows[weekday].closes)
        if weekday in rows
        else WeekdayHours(weekday, None, None)
        for weekday in range(7)
    ]
    exceptions: list[DayHours] = []
    if start is not None:
        closures = uow.session.scalars(
            select(StoreClosure)
            .where(StoreClosure.store_id == store_id)
            .where(StoreClosure.day >= start)
            .where(StoreClosure.day < start + timedelta(days=days_ahead))
            .order_by(StoreClosure.day)
        )
        exceptions = [DayHours(row.day, row.opens, row.closes, row.reason) for row in closures]
    return WeekHours(StoreRef(store.id, store.name), days, exceptions)


@read_only
def store_details(uow: UnitOfWork, store_id: str) -> StoreDetails:
    """Address, phone and a directions link for a store.

    Raises:
        UnknownStore: No store has that id.
    """
    store = get_store(uow, store_id)
    return StoreDetails(
        store=StoreRef(store.id, store.name),
        address=store.address,
        postcode=store.postcode,
        phone=store.phone,
        latitude=store.latitude,
        longitude=store.longitude,
        timezone=store.timezone,
        currency=store.currency,
        locale=store.locale,
        pay_at_pickup=store.pay_at_pickup,
        directions_url=directions_url(store.latitude, store.longitude),
    )


@read_only
def nearest_stores(uow: UnitOfWork, place_text: str, limit: int = 3) -> NearestStores | None:
    """The stores nearest a place the shopper names: a neighbourhood, landmark, station, postcode
    (district or full, "M20" / "M20 6RN") or a store's own name; misspellings are tolerated.

    Args:
        uow: Unit of work (read only).
        place_text: The shopper's words, e.g. "nearest shop to chorlton?".
        limit: How many stores to return.

    Returns:
        The place and its nearest stores, or None when no known place is named.
    """
    stores = list(uow.session.scalars(select(Store)))
    points: dict[str, tuple[str, float, float]] = {}
    for place in uow.session.scalars(select(Place)):
        point = (place.name, place.latitude, place.longitude)
        full = normalise_text(place.name).strip()
        points[full] = point
        short = " ".join(word for word in full.split() if word not in _PLACE_FILLER)
        if len(short) >= 4:
            points.setdefault(short, point)
    for store in stores:  # a store's own name beats a place of the same name
        points[normalise_text(store.name).strip()] = (store.name, store.latitude, store.longitude)
        points[normalise_text(store.id.replace("-", " ")).strip()] = (store.name, store.latitude, store.longitude)
    found, _ = find_named_phrase(normalise_text(place_text), points)
    if found is None:
        return None
    name, latitude, longitude = found
    ranked = sorted(
        (StoreDistance(StoreRef(store.id, store.name), round(haversine_km(latitude, longitude, store.latitude,
                                                                            store.longitude), 2))
         for store in stores),
        key=lambda entry: (entry.distance_km, entry.store.name),
    )
    return NearestStores(name, latitude, longitude, ranked[: max(limit, 0)])


@read_only
def example_places(uow: UnitOfWork, market_id: str | None, count: int = 2) -> list[str]:
    """Places shoppers of the market would know, to show what "an area or postcode" means: the place nearest
    each of its first stores (Manchester: "Northern Quarter"; Jakarta: "Thamrin"), never a store's own name."""
    query = select(Store).order_by(Store.name)
    if market_id is not None:
        query = query.where(Store.market_id == market_id)
    stores = list(uow.session.scalars(query))
    names = {normalise_text(store.name).strip() for store in stores}
    places = [place for place in uow.session.scalars(select(Place)) if normalise_text(place.name).strip() not in names]
    examples: list[str] = []
    for store in stores:
        nearest = sorted(places, key=lambda place: haversine_km(store.latitude, store.longitude, place.latitude, place.longitude))
        name = next((place.name for place in nearest if place.name not in examples), None)
        if name is not None:
            examples.append(name)
        if len(examples) >= count:
            break
    return examples


@read_only
def nearest_first(uow: UnitOfWork, store_id: str, store_ids: list[str]) -> list[str]:
    """`store_ids` ordered by distance from the store `store_id` (as given when there is no such store)."""
    places = {row.id: (row.latitude, row.longitude) for row in uow.session.execute(select(Store.id, Store.latitude, Store.longitude))}
    if store_id not in places:
        return list(store_ids)
    origin = places[store_id]
    return sorted(store_ids, key=lambda other: haversine_km(*origin, *places[other]) if other in places else float("inf"))
