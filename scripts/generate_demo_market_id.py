"""Writes the demo's Indonesian market: three Jakarta stores (data/catalog/markets/id/*.csv).

Run from the project root: `.venv/bin/python -m scripts.generate_demo_market_id`.

The stores sell the same catalogue as Manchester (same products and SKUs), priced in rupiah and with
their own stock. Prices are the GBP prices at a fixed demo rate, rounded like a Jakarta price tag
(Rp 1.889.000). Seeded: rerunning it rewrites the same bytes. markets.csv itself is edited by hand.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

from scripts.generate_demo_catalog import write_csv

ROOT = Path(__file__).resolve().parent.parent
MARKET = "id"
CURRENCY, LOCALE, TIMEZONE = "IDR", "id_ID", "Asia/Jakarta"
DEMO_RATE = 21_000  # rupiah per pound, for demo prices only
SEN_PER_RUPIAH = 100  # ISO 4217 minor units of IDR (see bot/kernel/money.py)

# id, name, address, postcode, phone, lat, lon, safety buffer, pay at pickup
STORES = (
    ("grand-indonesia", "Grand Indonesia", "East Mall Lt. 3, Jl. M.H. Thamrin No. 1, Menteng, Jakarta Pusat", "10310",
     "(021) 2358 0101", -6.19512, 106.82196, 1, True),
    ("kota-kasablanka", "Kota Kasablanka", "Lt. UG, Jl. Casablanca Raya Kav. 88, Menteng Dalam, Tebet, Jakarta Selatan",
     "12870", "(021) 2946 0102", -6.22422, 106.84260, 1, True),
    ("pondok-indah", "Pondok Indah Mall", "PIM 2 Lt. 1, Jl. Metro Pondok Indah, Kebayoran Lama, Jakarta Selatan",
     "12310", "(021) 7592 0103", -6.26563, 106.78389, 0, False),
)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Jakarta malls open 10:00-22:00 every day; Pondok Indah stays open later at the weekend.
HOURS = {
    "grand-indonesia": [("10:00", "22:00")] * 7,
    "kota-kasablanka": [("10:00", "22:00")] * 7,
    "pondok-indah": [("10:00", "22:00")] * 5 + [("10:00", "23:00")] * 2,
}
CLOSURES = (  # day, reason, hours (None = closed all day)
    ("2026-12-25", "Hari Natal", ("12:00", "22:00")),
    ("2027-01-01", "Tahun Baru", ("12:00", "22:00")),
    ("2027-03-10", "Idul Fitri", None),
)
PLACES = (
    ("Menteng", -6.19620, 106.83310), ("Thamrin", -6.19310, 106.82280), ("Bundaran HI", -6.19500, 106.82300),
    ("Sudirman", -6.21450, 106.81850), ("Kuningan", -6.23040, 106.83080), ("Tebet", -6.22640, 106.85510),
    ("Kemang", -6.26080, 106.81470), ("Blok M", -6.24420, 106.80030), ("Senayan", -6.22700, 106.80200),
    ("Kebayoran Baru", -6.24330, 106.79920), ("Pondok Indah", -6.27460, 106.78440), ("Cilandak", -6.28530, 106.80390),
    ("Kelapa Gading", -6.15780, 106.90560), ("Kota Tua", -6.13520, 106.81330), ("Monas", -6.17540, 106.82720),
    ("Stasiun Gambir", -6.17670, 106.83060), ("Cikini", -6.19090, 106.83960), ("Manggarai", -6.21000, 106.85010),
)


def idr_price_minor(gbp_minor: int) -> int:
    """£89.99 -> Rp 1.889.000 (in sen): converted, rounded to the thousand, then 1.000 under it."""
    rupiah = gbp_minor * DEMO_RATE // 100
    rupiah = max(1_000, round(rupiah / 1_000) * 1_000 - 1_000)
    return rupiah * SEN_PER_RUPIAH


def read_variants(catalog_dir: Path) -> list[tuple[str, int]]:
    with (catalog_dir / "variants.csv").open(newline="", encoding="utf-8") as handle:
        return [(row["sku"], int(row["price_minor"])) for row in csv.DictReader(handle)]


def generate(catalog_dir: Path, out_dir: Path, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    variants = read_variants(catalog_dir)
    inventory = []
    for store in STORES:
        for sku, _price in variants:
            roll = rng.random()
            on_hand = 0 if roll < 0.2 else rng.randint(1, 2) if roll < 0.35 else rng.randint(3, 12)
            inventory.append((store[0], sku, on_hand, ""))
    return {
        "stores.csv": write_csv(
            out_dir / "stores.csv",
            ("id", "name", "address", "postcode", "phone", "latitude", "longitude", "timezone", "currency",
             "locale", "safety_buffer", "pay_at_pickup", "market_id"),
            ((sid, name, address, postcode, phone, f"{lat:.5f}", f"{lon:.5f}", TIMEZONE, CURRENCY, LOCALE, buffer,
              "true" if pay else "false", MARKET) for sid, name, address, postcode, phone, lat, lon, buffer, pay in STORES),
        ),
        "store_hours.csv": write_csv(
            out_dir / "store_hours.csv", ("store_id", "weekday", "opens", "closes"),
            ((store_id, day, opens, closes) for store_id, week in HOURS.items() for day, (opens, closes) in zip(DAYS, week)),
        ),
        "store_closures.csv": write_csv(
            out_dir / "store_closures.csv", ("store_id", "day", "reason", "opens", "closes"),
            ((store[0], day, reason, *(hours or ("", ""))) for day, reason, hours in CLOSURES for store in STORES),
        ),
        "places.csv": write_csv(out_dir / "places.csv", ("name", "latitude", "longitude"),
                                ((name, f"{lat:.5f}", f"{lon:.5f}") for name, lat, lon in PLACES)),
        "market_prices.csv": write_csv(out_dir / "market_prices.csv", ("market_id", "sku", "price_minor"),
                                       ((MARKET, sku, idr_price_minor(price)) for sku, price in variants)),
        "inventory.csv": write_csv(out_dir / "inventory.csv", ("store_id", "sku", "on_hand", "safety_buffer"), inventory),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=ROOT / "data" / "catalog")
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()
    for name, count in generate(args.catalog, args.catalog / "markets" / MARKET, args.seed).items():
        print(f"{name}: {count} rows")


if __name__ == "__main__":
    main()
