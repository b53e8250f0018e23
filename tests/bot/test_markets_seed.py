"""Markets as data: a market is markets.csv rows plus a markets/<id>/ folder of the usual CSVs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kernel.models import Inventory, Market, MarketPrice, Store
from bot.catalog.seed import CatalogFileError, load_catalog
from bot.kernel.shop import Shop
from tests.bot.test_seed import csv_rows, write_rows


def test_the_demo_has_jakarta_next_to_manchester(catalog_shop: Shop) -> None:
    with catalog_shop.uow() as uow:
        jakarta = uow.session.get(Market, "id")
        assert (jakarta.currency, jakarta.locale, jakarta.timezone, jakarta.link_provider) == ("IDR", "id_ID", "Asia/Jakarta", "midtrans")
        assert jakarta.languages.split()[0] == "id" and "qris" in jakarta.payment_methods.split()
        stores = {store.id: store for store in uow.session.query(Store)}
        assert {sid for sid, store in stores.items() if store.market_id == "id"} == {"grand-indonesia", "kota-kasablanka", "pondok-indah"}
        assert {store.market_id for sid, store in stores.items() if store.timezone == "Europe/London"} == {"gb"}
        price = uow.session.get(MarketPrice, ("id", "FS-BOOT-TRB-BRN-9"))
        assert price.price_minor == 188_900_000  # Rp 1.889.000 in sen
        assert uow.session.get(Inventory, ("grand-indonesia", "FS-BOOT-TRB-BRN-9")) is not None


def test_a_retailer_adds_a_market_with_files_only(shop: Shop, catalog_copy: Path) -> None:
    markets = csv_rows(catalog_copy / "markets.csv")
    markets.append({"id": "fi", "name": "Finland", "country": "FI", "currency": "EUR", "locale": "fi_FI", "timezone": "Europe/Helsinki",
                    "languages": "fi sv en", "payment_methods": "card mobilepay klarna", "link_provider": "stripe"})
    write_rows(catalog_copy / "markets.csv", markets)
    folder = catalog_copy / "markets" / "fi"
    folder.mkdir()
    store = dict(csv_rows(catalog_copy / "stores.csv")[0], id="kamppi", name="Kamppi", timezone="Europe/Helsinki",
                 currency="EUR", locale="fi_FI", market_id="fi", latitude="60.16890", longitude="24.93210")
    write_rows(folder / "stores.csv", [store])
    write_rows(folder / "market_prices.csv", [{"market_id": "fi", "sku": "FS-BOOT-TRB-BRN-9", "price_minor": "10990"}])
    write_rows(folder / "inventory.csv", [{"store_id": "kamppi", "sku": "FS-BOOT-TRB-BRN-9", "on_hand": "4", "safety_buffer": ""}])

    report = shop.run(load_catalog, catalog_copy)

    assert report.table("markets.csv").inserted == 3
    with shop.uow() as uow:
        assert uow.session.get(Store, "kamppi").market_id == "fi"
        assert uow.session.get(MarketPrice, ("fi", "FS-BOOT-TRB-BRN-9")).price_minor == 10990
        assert uow.session.get(Inventory, ("kamppi", "FS-BOOT-TRB-BRN-9")).on_hand == 4


def test_a_store_listed_in_two_folders_is_a_duplicate(shop: Shop, catalog_copy: Path) -> None:
    jakarta = csv_rows(catalog_copy / "markets" / "id" / "stores.csv")
    write_rows(catalog_copy / "markets" / "id" / "stores.csv", jakarta + [dict(jakarta[0], id="arndale")])
    with pytest.raises(CatalogFileError, match=r"markets/id/stores.csv, line 5: duplicate id \('arndale',\) \(first in stores.csv on line 2\)"):
        shop.run(load_catalog, catalog_copy)
