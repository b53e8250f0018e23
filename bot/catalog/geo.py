"""Distances and map links between points on the Earth, with no network calls."""

from __future__ import annotations

import math
from urllib.parse import quote

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG), good to well under 1% for city distances


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two latitude/longitude points in degrees.

    Args:
        lat1: Latitude of the first point.
        lon1: Longitude of the first point.
        lat2: Latitude of the second point.
        lon2: Longitude of the second point.

    Returns:
        The distance in kilometres along the Earth's surface.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def directions_url(latitude: float, longitude: float) -> str:
    """A Google Maps directions link to a point (works in any browser and opens the app on phones)."""
    destination = quote(f"{latitude:.5f},{longitude:.5f}", safe=",")
    return f"https://www.google.com/maps/dir/?api=1&destination={destination}"
