"""Writes the demo catalogue of Fellside Outfitters (data/catalog/*.csv).

The CSVs are committed output: rerunning this script with the same seed rewrites them byte for byte,
so a diff shows exactly what a change to the generator did. A real retailer replaces the CSVs with
its own export instead (see data/catalog/README.md) and never needs this script.

Usage: python scripts/generate_demo_catalog.py [--out data/catalog] [--seed 20261123]
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path
from typing import Iterable, Sequence

CURRENCY = "GBP"
TIMEZONE = "Europe/London"
LOCALE = "en_GB"
MARKET = "gb"  # markets.csv
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# id, name, address, postcode, phone, latitude, longitude, safety_buffer, pay_at_pickup
STORES = (
    ("arndale", "Arndale", "Unit 14, Manchester Arndale, Market Street, Manchester", "M4 3AQ",
     "0161 496 0101", 53.48316, -2.23929, 1, True),
    ("trafford", "Trafford Centre", "Unit L21, The Trafford Centre, Regent Crescent, Trafford Park, Manchester",
     "M17 8AA", "0161 496 0102", 53.46686, -2.34805, 2, False),
    ("didsbury", "Didsbury", "745 Wilmslow Road, Didsbury, Manchester", "M20 6RN",
     "0161 496 0103", 53.41665, -2.23129, 0, True),
    ("salford-quays", "Salford Quays", "Unit 8, Lowry Outlet, The Quays, Salford", "M50 3AH",
     "0161 496 0104", 53.47126, -2.29556, 1, True),
    ("stockport", "Stockport", "21 Merseyway Shopping Centre, Stockport", "SK1 1QX",
     "0161 496 0105", 53.41069, -2.15842, 0, True),
    ("altrincham", "Altrincham", "48 George Street, Altrincham", "WA14 1RJ",
     "0161 496 0106", 53.38722, -2.35012, 1, True),
)

# Per store: (opens, closes) for Monday..Sunday; None = closed all day.
HOURS = {
    "arndale": [("09:00", "19:00")] * 3 + [("09:00", "20:00")] + [("09:00", "19:00")] * 2 + [("11:00", "17:00")],
    "trafford": [("10:00", "22:00")] * 6 + [("12:00", "18:00")],
    "didsbury": [("09:30", "17:30")] * 3 + [("09:30", "19:00")] + [("09:30", "17:30")] * 2 + [None],
    "salford-quays": [("10:00", "20:00")] * 6 + [("11:00", "17:00")],
    "stockport": [("09:00", "17:30")] * 3 + [("09:00", "19:00")] + [("09:00", "17:30")] * 2 + [("10:30", "16:30")],
    "altrincham": [("09:30", "17:30")] * 3 + [("09:30", "19:00")] + [("09:30", "17:30")] * 2 + [("11:00", "16:00")],
}

# (day, reason, opens, closes per store id or default); None hours = closed all day.
CLOSURES = (
    ("2026-12-24", "Christmas Eve", ("09:00", "16:00"), {"trafford": ("10:00", "18:00")}),
    ("2026-12-25", "Christmas Day", None, {}),
    ("2026-12-26", "Boxing Day", ("10:00", "16:00"), {"trafford": ("09:00", "20:00"), "didsbury": None}),
    ("2026-12-31", "New Year's Eve", ("09:00", "17:00"), {}),
    ("2027-01-01", "New Year's Day", None, {"trafford": ("11:00", "18:00")}),
    ("2027-01-18", "Stocktake", None, {store[0]: "open" for store in STORES if store[0] != "stockport"}),
)

PLACES = (
    ("Manchester city centre", 53.47950, -2.24510), ("Piccadilly station", 53.47740, -2.23090),
    ("Victoria station", 53.48770, -2.24260), ("Oxford Road station", 53.47400, -2.24180),
    ("Deansgate", 53.47850, -2.24960), ("Northern Quarter", 53.48380, -2.23620),
    ("Ancoats", 53.48440, -2.22530), ("Spinningfields", 53.48040, -2.25280),
    ("Castlefield", 53.47450, -2.25610), ("Hulme", 53.46580, -2.25020),
    ("University of Manchester", 53.46680, -2.23390), ("Fallowfield", 53.44260, -2.21930),
    ("Withington", 53.43390, -2.22940), ("West Didsbury", 53.42550, -2.23680),
    ("East Didsbury", 53.40950, -2.22320), ("Chorlton", 53.44290, -2.27700),
    ("Levenshulme", 53.44490, -2.19350), ("Rusholme", 53.45540, -2.22330),
    ("Heaton Moor", 53.42200, -2.18500), ("Cheadle", 53.39380, -2.21380),
    ("Bramhall", 53.35950, -2.16470), ("Hazel Grove", 53.37730, -2.11370),
    ("Stockport station", 53.40510, -2.16310), ("Sale", 53.42460, -2.32270),
    ("Timperley", 53.39830, -2.33220), ("Hale", 53.37850, -2.34690),
    ("Altrincham Interchange", 53.38760, -2.34750), ("Stretford", 53.44590, -2.30920),
    ("Old Trafford", 53.45630, -2.29120), ("Urmston", 53.44840, -2.35470),
    ("MediaCityUK", 53.47210, -2.29760), ("Salford Central station", 53.48290, -2.25480),
    ("Eccles", 53.48300, -2.33380), ("Etihad Stadium", 53.48310, -2.20040),
    ("Wythenshawe", 53.38430, -2.26250), ("Manchester Airport", 53.36500, -2.27270),
    ("Prestwich", 53.53330, -2.28330), ("Stretford Mall", 53.44440, -2.31510),
    ("M1", 53.47610, -2.23540), ("M2", 53.48010, -2.24370), ("M3", 53.48580, -2.25210),
    ("M4", 53.48480, -2.22790), ("M13", 53.46090, -2.21720), ("M14", 53.44850, -2.22480),
    ("M15", 53.46470, -2.25490), ("M16", 53.45470, -2.28130), ("M17", 53.46820, -2.32950),
    ("M19", 53.43970, -2.19270), ("M20", 53.42050, -2.23000), ("M21", 53.43920, -2.27780),
    ("M32", 53.44910, -2.31010), ("M33", 53.42280, -2.32310), ("M41", 53.45180, -2.35430),
    ("M50", 53.47050, -2.29560), ("SK1", 53.40900, -2.15130), ("SK4", 53.42270, -2.18270),
    ("SK8", 53.38840, -2.21810), ("WA14", 53.38900, -2.35460), ("WA15", 53.38470, -2.33120),
)

SHOE_SIZES = ("4", "5", "6", "7", "8", "9", "10", "11", "12")
SHOE_HALF_SIZES = ("6", "6.5", "7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12")
CLOTHING = ("XS", "S", "M", "L", "XL", "XXL")
CLOTHING_NARROW = ("S", "M", "L", "XL")
WAIST = ("30", "32", "34", "36", "38")
ONE_SIZE = ("One Size",)

COLOUR_CODES = {
    "Black": "BLK", "Brown": "BRN", "Navy": "NVY", "Grey": "GRY", "Olive": "OLV", "Red": "RED",
    "Blue": "BLU", "Green": "GRN", "Charcoal": "CHR", "Khaki": "KHK", "Sand": "SND", "Orange": "ORG",
    "Teal": "TEA", "Burgundy": "BUR", "Purple": "PUR", "Yellow": "YEL", "Stone": "STN", "White": "WHT",
    "Tan": "TAN", "Silver": "SLV",
}

# (product id, name, category, brand, description, price in pence, colours, sizes)
PRODUCTS = (
    ("FS-BOOT-TRB", "Trailblazer Waterproof Hiking Boot", "Footwear", "Fellside",
     "Leather hiking boot with a waterproof membrane and grippy Vibram-style sole.", 8999,
     ("Brown", "Black"), SHOE_HALF_SIZES),
    ("FS-BOOT-SCA", "Scafell Mid Walking Boot", "Footwear", "Ridgeline",
     "Lightweight mid-height walking boot for fells and rough paths.", 11999, ("Grey", "Brown"), SHOE_SIZES),
    ("FS-SHOE-PEN", "Pennine Trail Running Shoe", "Footwear", "Kestrel",
     "Cushioned trail running shoe with deep lugs for muddy ground.", 9499, ("Blue", "Black", "Orange"),
     SHOE_SIZES),
    ("FS-SHOE-EDL", "Edale Walking Shoe", "Footwear", "Fellside",
     "Low-cut suede walking shoe for everyday rambles.", 6999, ("Tan", "Grey"), SHOE_SIZES),
    ("FS-BOOT-WLY", "Moorland Wellington Boot", "Footwear", "Northmoor",
     "Natural rubber wellies with a warm lining.", 3999, ("Green", "Navy"), SHOE_SIZES),
    ("FS-BOOT-CHL", "Ancoats Leather Chelsea Boot", "Footwear", "Northmoor",
     "Classic pull-on Chelsea boot in oiled leather.", 8500, ("Brown", "Black"), SHOE_SIZES),
    ("FS-SNDL-WND", "Windermere Walking Sandal", "Footwear", "Kestrel",
     "Adjustable strap sandal with a contoured footbed.", 4500, ("Black",), SHOE_SIZES),
    ("FS-JKT-HLV", "Helvellyn Waterproof Jacket", "Jackets", "Fellside",
     "Three-layer waterproof shell with taped seams and a helmet-compatible hood.", 14999,
     ("Red", "Navy", "Black"), CLOTHING),
    ("FS-JKT-CON", "Coniston Insulated Jacket", "Jackets", "Ridgeline",
     "Synthetic insulated jacket that stays warm when damp.", 11000, ("Black", "Olive"), CLOTHING),
    ("FS-JKT-STF", "Stormfront 3-in-1 Jacket", "Jackets", "Northmoor",
     "Waterproof outer with a zip-out fleece liner.", 12999, ("Navy", "Charcoal"), CLOTHING),
    ("FS-JKT-ULS", "Ullswater Softshell Jacket", "Jackets", "Kestrel",
     "Stretchy wind-resistant softshell for dry days on the hill.", 7999, ("Teal", "Black"), CLOTHING_NARROW),
    ("FS-JKT-PKW", "Packaway Rain Jacket", "Jackets", "Fellside",
     "Lightweight rain jacket that folds into its own pocket.", 4999, ("Yellow", "Navy", "Green"), CLOTHING),
    ("FS-JKT-BRW", "Borrowdale Down Parka", "Jackets", "Ridgeline",
     "Long down-filled parka for the coldest days.", 19999, ("Black", "Khaki"), CLOTHING_NARROW),
    ("FS-FLC-KIN", "Kinder Fleece Jacket", "Fleeces & Tops", "Fellside",
     "Full-zip 300-weight fleece jacket with two zipped pockets.", 5999, ("Navy", "Grey", "Burgundy"), CLOTHING),
    ("FS-FLC-MAM", "Mam Tor Half-Zip Fleece", "Fleeces & Tops", "Kestrel",
     "Light half-zip microfleece pullover.", 3499, ("Green", "Charcoal"), CLOTHING),
    ("FS-TOP-MER", "Merino Base Layer Top", "Fleeces & Tops", "Ridgeline",
     "Long-sleeve merino wool base layer that does not itch.", 5500, ("Black", "Grey"), CLOTHING),
    ("FS-TOP-HOD", "Castlefield Hoodie", "Fleeces & Tops", "Northmoor",
     "Heavyweight organic cotton hoodie.", 4500, ("Grey", "Navy", "Olive"), CLOTHING),
    ("FS-TOP-TEE", "Fell Running T-Shirt", "Fleeces & Tops", "Kestrel",
     "Quick-drying technical tee for running and walking.", 2500, ("Blue", "Orange", "White"), CLOTHING),
    ("FS-TOP-FLN", "Grasmere Flannel Shirt", "Fleeces & Tops", "Northmoor",
     "Brushed cotton checked flannel shirt.", 3999, ("Red", "Blue"), CLOTHING_NARROW),
    ("FS-TRS-RDG", "Ridge Walking Trousers", "Trousers & Shorts", "Fellside",
     "Durable stretch walking trousers with a water-repellent finish.", 5999, ("Black", "Charcoal", "Stone"),
     WAIST),
    ("FS-TRS-ZIP", "Convertible Zip-Off Trousers", "Trousers & Shorts", "Ridgeline",
     "Trousers whose legs zip off into shorts.", 4999, ("Sand", "Grey"), WAIST),
    ("FS-TRS-OVR", "Waterproof Overtrousers", "Trousers & Shorts", "Fellside",
     "Pull-on waterproof overtrousers with ankle zips.", 4500, ("Black",), CLOTHING),
    ("FS-SHR-DAL", "Dale Cargo Shorts", "Trousers & Shorts", "Northmoor",
     "Cotton cargo shorts with six pockets.", 3000, ("Khaki", "Navy"), WAIST),
    ("FS-TRS-CLB", "Stretch Climbing Trousers", "Trousers & Shorts", "Kestrel",
     "Gusseted climbing trousers with a cuffed ankle.", 6500, ("Olive", "Black"), CLOTHING_NARROW),
    ("FS-TRS-CHN", "Everyday Chinos", "Trousers & Shorts", "Northmoor",
     "Straight-leg cotton chinos for town.", 3999, ("Stone", "Navy"), WAIST),
    ("FS-PACK-DAY", "Daypack 25L", "Bags & Packs", "Fellside",
     "25 litre daypack with a rain cover and hydration sleeve.", 4500, ("Navy", "Red", "Black"), ONE_SIZE),
    ("FS-PACK-SUM", "Summit 40L Rucksack", "Bags & Packs", "Ridgeline",
     "40 litre rucksack with an adjustable back system.", 8999, ("Grey", "Blue"), ONE_SIZE),
    ("FS-PACK-TRK", "Trekker 65L Backpack", "Bags & Packs", "Ridgeline",
     "65 litre trekking backpack for multi-day trips.", 13999, ("Green", "Black"), ONE_SIZE),
    ("FS-PACK-DRY", "Roll-Top Dry Bag 20L", "Bags & Packs", "Kestrel",
     "Fully waterproof roll-top dry bag.", 1999, ("Yellow", "Blue", "Orange"), ONE_SIZE),
    ("FS-PACK-CMT", "Commuter Laptop Backpack", "Bags & Packs", "Northmoor",
     "Water-resistant backpack with a padded 15 inch laptop sleeve.", 6500, ("Black", "Grey"), ONE_SIZE),
    ("FS-PACK-HIP", "Trail Hip Pack", "Bags & Packs", "Kestrel",
     "Small bum bag for running and festivals.", 2200, ("Black", "Teal"), ONE_SIZE),
    ("FS-ACC-SCK", "Merino Hiking Socks", "Accessories", "Fellside",
     "Cushioned merino blend walking socks.", 1600, ("Grey", "Navy"), ("S", "M", "L")),
    ("FS-ACC-BEA", "Fellside Bobble Beanie", "Accessories", "Fellside",
     "Chunky knit bobble hat with a fleece band.", 1800, ("Burgundy", "Navy", "Grey"), ONE_SIZE),
    ("FS-ACC-GLV", "Waterproof Gloves", "Accessories", "Ridgeline",
     "Insulated waterproof gloves with touchscreen fingertips.", 2999, ("Black",), ("S", "M", "L", "XL")),
    ("FS-ACC-SUN", "Wide Brim Sun Hat", "Accessories", "Kestrel",
     "Packable sun hat with UPF 50 fabric.", 2000, ("Sand", "Olive"), ONE_SIZE),
    ("FS-ACC-POL", "Carbon Trekking Poles", "Accessories", "Ridgeline",
     "Pair of folding carbon trekking poles.", 7999, ("Black",), ONE_SIZE),
    ("FS-ACC-BTL", "Insulated Water Bottle 750ml", "Accessories", "Fellside",
     "Double-walled steel bottle that keeps drinks cold for 24 hours.", 2499, ("Silver", "Teal", "Black"),
     ONE_SIZE),
    ("FS-ACC-TRC", "Rechargeable Head Torch", "Accessories", "Kestrel",
     "400 lumen USB rechargeable head torch.", 3499, ("Black", "Orange"), ONE_SIZE),
    ("FS-CMP-TNT", "Ridgeback 2-Person Tent", "Camping", "Ridgeline",
     "Freestanding two-person backpacking tent, 2.1 kg.", 22999, ("Green",), ONE_SIZE),
    ("FS-CMP-FAM", "Borrowdale 4-Person Family Tent", "Camping", "Northmoor",
     "Tunnel tent with two bedrooms and a porch.", 34999, ("Green", "Grey"), ONE_SIZE),
    ("FS-CMP-SLB", "Three-Season Sleeping Bag", "Camping", "Fellside",
     "Mummy sleeping bag rated to -2 C comfort.", 7999, ("Blue", "Red"), ONE_SIZE),
    ("FS-CMP-MAT", "Self-Inflating Sleeping Mat", "Camping", "Kestrel",
     "5 cm self-inflating mat with a non-slip base.", 4999, ("Orange", "Navy"), ONE_SIZE),
    ("FS-CMP-STV", "Compact Camping Stove", "Camping", "Ridgeline",
     "Gas canister stove that folds into a pouch.", 3999, ("Silver",), ONE_SIZE),
    ("FS-CMP-CHR", "Folding Camp Chair", "Camping", "Northmoor",
     "Steel-framed camping chair with a cup holder.", 2999, ("Green", "Navy"), ONE_SIZE),
)

# Added later (children's range): kept apart so the stock drawn for the products above stays the same.
KIDS_SIZES = ("3-4", "5-6", "7-8", "9-10", "11-12")
LATER_PRODUCTS = (
    ("FS-KID-JKT", "Kids' Puddle Waterproof Jacket", "Jackets", "Fellside",
     "Fully waterproof jacket for children, with reflective trims and a roll-away hood.", 3999,
     ("Yellow", "Navy", "Red"), KIDS_SIZES),
    ("FS-KID-INS", "Kids' Snowdrift Insulated Jacket", "Jackets", "Ridgeline",
     "Warm padded jacket for children, showerproof, with a fleece-lined collar.", 4999, ("Navy", "Purple"), KIDS_SIZES),
    ("FS-KID-FLC", "Kids' Cub Fleece", "Fleeces & Tops", "Kestrel",
     "Soft full-zip fleece for children.", 2499, ("Teal", "Red"), KIDS_SIZES),
)

# What browsing searches on besides the words: (audience, tags, sleeps, litres); products not listed are
# for adults with no tags.
ATTRIBUTES = {
    "FS-BOOT-TRB": ("adults", "waterproof hiking walking leather", None, None),
    "FS-BOOT-SCA": ("adults", "walking hiking lightweight", None, None),
    "FS-SHOE-PEN": ("adults", "running trail", None, None),
    "FS-SHOE-EDL": ("adults", "walking casual", None, None),
    "FS-BOOT-WLY": ("adults", "waterproof warm rain festival", None, None),
    "FS-BOOT-CHL": ("adults", "casual leather town", None, None),
    "FS-SNDL-WND": ("adults", "summer walking", None, None),
    "FS-JKT-HLV": ("adults", "waterproof rain hiking breathable", None, None),
    "FS-JKT-CON": ("adults", "insulated warm winter", None, None),
    "FS-JKT-STF": ("adults", "waterproof warm winter rain", None, None),
    "FS-JKT-ULS": ("adults", "windproof lightweight softshell", None, None),
    "FS-JKT-PKW": ("adults", "waterproof rain lightweight packable", None, None),
    "FS-JKT-BRW": ("adults", "insulated warm winter down", None, None),
    "FS-FLC-KIN": ("adults", "warm fleece layer", None, None),
    "FS-FLC-MAM": ("adults", "warm fleece layer lightweight", None, None),
    "FS-TOP-MER": ("adults", "warm layer wool thermal", None, None),
    "FS-TOP-HOD": ("adults", "casual warm", None, None),
    "FS-TOP-TEE": ("adults", "running summer", None, None),
    "FS-TOP-FLN": ("adults", "casual warm", None, None),
    "FS-TRS-RDG": ("adults", "hiking walking", None, None),
    "FS-TRS-ZIP": ("adults", "hiking walking summer", None, None),
    "FS-TRS-OVR": ("adults", "waterproof rain", None, None),
    "FS-SHR-DAL": ("adults", "summer casual", None, None),
    "FS-TRS-CLB": ("adults", "climbing", None, None),
    "FS-TRS-CHN": ("adults", "casual town", None, None),
    "FS-PACK-DAY": ("adults", "hiking walking bag day", None, 25),
    "FS-PACK-SUM": ("adults", "hiking bag weekend overnight travel", None, 40),
    "FS-PACK-TRK": ("adults", "hiking trekking camping bag weekend travel expedition", None, 65),
    "FS-PACK-DRY": ("adults", "waterproof bag kayaking", None, 20),
    "FS-PACK-CMT": ("adults", "laptop work commuting bag", None, 20),
    "FS-PACK-HIP": ("adults", "running festival bag", None, 2),
    "FS-ACC-SCK": ("adults", "hiking walking wool warm", None, None),
    "FS-ACC-BEA": ("adults", "warm winter hat", None, None),
    "FS-ACC-GLV": ("adults", "waterproof warm winter", None, None),
    "FS-ACC-SUN": ("adults", "summer hat", None, None),
    "FS-ACC-POL": ("adults", "hiking walking", None, None),
    "FS-ACC-BTL": ("adults", "drinks hiking camping", None, 1),
    "FS-ACC-TRC": ("adults", "camping light night torch", None, None),
    "FS-CMP-TNT": ("adults", "camping backpacking lightweight", 2, None),
    "FS-CMP-FAM": ("adults", "camping family", 4, None),
    "FS-CMP-SLB": ("adults", "camping warm sleeping", None, None),
    "FS-CMP-MAT": ("adults", "camping sleeping", None, None),
    "FS-CMP-STV": ("adults", "camping cooking", None, None),
    "FS-CMP-CHR": ("adults", "camping festival garden", None, None),
    "FS-KID-JKT": ("kids", "waterproof rain school", None, None),
    "FS-KID-INS": ("kids", "insulated warm winter school", None, None),
    "FS-KID-FLC": ("kids", "warm fleece layer", None, None),
}

# Stock the demos and tests rely on: (store, sku) -> on_hand. Everything else is random.
PINNED_STOCK = {
    # "Yes! Arndale has 3 ..." (Arndale's buffer is 1, so 4 on hand shows 3).
    ("arndale", "FS-BOOT-TRB-BRN-9"): 4,
    # Out at Arndale, Salford Quays and Trafford; Didsbury and Stockport have it.
    ("arndale", "FS-FLC-KIN-NVY-M"): 0,
    ("salford-quays", "FS-FLC-KIN-NVY-M"): 0,
    ("trafford", "FS-FLC-KIN-NVY-M"): 1,
    ("didsbury", "FS-FLC-KIN-NVY-M"): 2,
    ("stockport", "FS-FLC-KIN-NVY-M"): 5,
    ("altrincham", "FS-FLC-KIN-NVY-M"): 0,
    # Sold out everywhere.
    **{(store[0], "FS-JKT-HLV-RED-XS"): 0 for store in STORES},
    # Only one store in the whole chain has the family tent in grey.
    **{(store[0], "FS-CMP-FAM-GRY-OS"): 0 for store in STORES if store[0] != "altrincham"},
    ("altrincham", "FS-CMP-FAM-GRY-OS"): 2,
    # Low stock: one left at Didsbury.
    ("didsbury", "FS-SHOE-PEN-BLU-9"): 1,
}

# Per-SKU safety buffers that override the store's (popular lines held back for in-store buyers).
SKU_BUFFERS = {("trafford", "FS-CMP-TNT-GRN-OS"): 0, ("stockport", "FS-BOOT-TRB-BRN-10"): 2}


STORE_ORDER = {store[0]: position for position, store in enumerate(STORES)}


def size_code(size: str) -> str:
    return "OS" if size == "One Size" else size


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
            count += 1
    return count


def stores_rows() -> list[tuple[object, ...]]:
    return [
        (sid, name, address, postcode, phone, f"{lat:.5f}", f"{lon:.5f}", TIMEZONE, CURRENCY, LOCALE, buffer,
         "true" if pay else "false", MARKET)
        for sid, name, address, postcode, phone, lat, lon, buffer, pay in STORES
    ]


def hours_rows() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for store_id, week in HOURS.items():
        for day, hours in zip(DAYS, week):
            rows.append((store_id, day, hours[0] if hours else "", hours[1] if hours else ""))
    return rows


def closure_rows() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for day, reason, default_hours, per_store in CLOSURES:
        for store in STORES:
            hours = per_store.get(store[0], default_hours)
            if hours == "open":
                continue  # that store keeps its usual hours that day
            rows.append((store[0], day, reason, hours[0] if hours else "", hours[1] if hours else ""))
    return rows


def product_rows() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for product in PRODUCTS + LATER_PRODUCTS:
        audience, tags, sleeps, litres = ATTRIBUTES.get(product[0], ("adults", "", None, None))
        rows.append((*product[:5], audience, tags, sleeps, litres))
    return rows


def variant_rows(products: Sequence[tuple[object, ...]] = PRODUCTS) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for pid, _name, _cat, _brand, _desc, price, colours, sizes in products:  # type: ignore[misc]
        for colour in colours:
            for size in sizes:
                sku = f"{pid}-{COLOUR_CODES[colour]}-{size_code(size)}"
                # Bigger boots and the largest clothes cost a little more, as they often do.
                bump = 500 if size in ("XXL", "12") else 0
                rows.append((sku, pid, colour, size, price + bump, CURRENCY))
    return rows


def inventory_rows(skus: Sequence[str], rng: random.Random) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for store in STORES:
        store_id = store[0]
        for sku in skus:
            roll = rng.random()
            if roll < 0.18:
                on_hand = 0
            elif roll < 0.33:
                on_hand = rng.randint(1, 2)
            else:
                on_hand = rng.randint(3, 14)
            on_hand = PINNED_STOCK.get((store_id, sku), on_hand)
            rows.append((store_id, sku, on_hand, SKU_BUFFERS.get((store_id, sku))))
    return rows


def generate(out_dir: Path, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    variants = variant_rows()
    later_variants = variant_rows(LATER_PRODUCTS)
    inventory = inventory_rows([row[0] for row in variants], rng)  # type: ignore[misc]
    # Products added later draw from a generator of their own, so the older stock figures never move.
    inventory += inventory_rows([row[0] for row in later_variants], random.Random(seed + 1))  # type: ignore[misc]
    counts = {
        "stores.csv": write_csv(
            out_dir / "stores.csv",
            ("id", "name", "address", "postcode", "phone", "latitude", "longitude", "timezone", "currency",
             "locale", "safety_buffer", "pay_at_pickup", "market_id"),
            stores_rows(),
        ),
        "store_hours.csv": write_csv(out_dir / "store_hours.csv", ("store_id", "weekday", "opens", "closes"),
                                     hours_rows()),
        "store_closures.csv": write_csv(out_dir / "store_closures.csv",
                                        ("store_id", "day", "reason", "opens", "closes"), closure_rows()),
        "places.csv": write_csv(out_dir / "places.csv", ("name", "latitude", "longitude"),
                                ((name, f"{lat:.5f}", f"{lon:.5f}") for name, lat, lon in PLACES)),
        "products.csv": write_csv(
            out_dir / "products.csv",
            ("id", "name", "category", "brand", "description", "audience", "tags", "sleeps", "volume_l"),
            product_rows(),
        ),
        "variants.csv": write_csv(out_dir / "variants.csv",
                                  ("sku", "product_id", "colour", "size", "price_minor", "currency"),
                                  variants + later_variants),
        "inventory.csv": write_csv(out_dir / "inventory.csv", ("store_id", "sku", "on_hand", "safety_buffer"),
                                   sorted(inventory, key=lambda row: STORE_ORDER[str(row[0])])),
    }
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "catalog")
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()
    for name, count in generate(args.out, args.seed).items():
        print(f"{name}: {count} rows")


if __name__ == "__main__":
    main()
