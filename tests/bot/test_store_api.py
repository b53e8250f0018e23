"""The store API on a real Sanic server on loopback: keys, store isolation, audit, stock upsert, OpenAPI."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any, AsyncIterator

import httpx
import pytest
from sanic import Sanic
from sqlalchemy import select

from bot.kernel.models import AuditEntry
from bot.server.store_openapi import openapi_document
from bot.server.store_routes import build_store_api_blueprint
from bot.ordering import orders
from bot.ordering.pickup_alerts import alert_timers
from bot.identity.store_access import create_api_key, revoke_api_key
from bot.kernel.shop import Shop
from tests.support.sanic_server import serving
from tests.bot.factories import place, seed_small_shop, stock
from tests.bot.test_pickup_alerts import FakeRasa


class Api:
    def __init__(self, shop: Shop, app: Sanic, base: str, rasa: FakeRasa) -> None:
        self.shop, self.app, self.rasa = shop, app, rasa
        self.client = httpx.AsyncClient(base_url=base, timeout=30)
        seed_small_shop(shop)
        self.leeds_key = shop.run(create_api_key, "leeds", "till")[1]
        self.york_key = shop.run(create_api_key, "york", "till")[1]

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.leeds_key}"}


@pytest.fixture
async def api(shop: Shop) -> AsyncIterator[Api]:
    rasa = FakeRasa()
    app = Sanic(f"store_api_test_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.blueprint(build_store_api_blueprint())

    @app.before_server_start
    async def attach(app: Sanic, _loop: object) -> None:
        app.ctx.shop = shop
        app.ctx.rasa = rasa

    async with serving(app) as base_url:
        api = Api(shop, app, base_url, rasa)
        yield api
        await api.client.aclose()


def _order(api: Api, store_id: str = "leeds", conversation: str = "sms:+447700900123", method: str = "at_pickup") -> str:
    return place(api.shop, conversation, {"JKT-NVY-M": 1}, store_id=store_id, payment_method=method, channel="sms").reference


def _audit(api: Api, action: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    with api.shop.uow() as uow:
        rows = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return [(row.actor, row.store_id, row.detail) for row in rows]


async def _until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_requests_without_a_valid_key_are_401(api: Api) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer nope"}, api.auth(api.leeds_key + "x")):
        response = await api.client.get("/api/stores/leeds/orders", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
    prefix = api.leeds_key.split(".")[0]
    api.shop.run(revoke_api_key, prefix)
    assert (await api.client.get("/api/stores/leeds/orders", headers=api.auth())).status_code == 401


async def test_a_key_cannot_touch_another_stores_orders_or_stock(api: Api) -> None:
    york_order = place(api.shop, "web-y", {"JKT-NVY-M": 1}, store_id="york", payment_method="link").reference
    api.shop.run(orders.mark_paid, york_order)
    leeds = api.auth()

    assert (await api.client.get("/api/stores/york/orders", headers=leeds)).status_code == 403
    assert (await api.client.post(f"/api/stores/york/orders/{york_order}/ready", headers=leeds)).status_code == 403
    # Naming its own store in the path does not help either.
    response = await api.client.post(f"/api/stores/leeds/orders/{york_order}/ready", headers=leeds)
    assert response.status_code == 403 and response.json() == {"error": f"order {york_order} belongs to another store"}
    assert (await api.client.post(f"/api/stores/leeds/orders/{york_order}/cancel", headers=leeds, json={"reason": "x"})).status_code == 403
    assert (await api.client.get(f"/api/stores/leeds/orders/{york_order}", headers=leeds)).status_code == 403
    stock_put = await api.client.put("/api/stores/york/stock", headers=leeds, content="sku,on_hand\nJKT-NVY-M,0\n")
    assert stock_put.status_code == 403

    assert api.shop.run(orders.order_status, york_order).status == "paid"
    assert stock(api.shop, "york", "JKT-NVY-M") == (2, 1)
    assert api.shop.run(alert_timers, york_order) == []
    # York's own key works on York.
    assert (await api.client.post(f"/api/stores/york/orders/{york_order}/ready", headers=api.auth(api.york_key))).status_code == 200


async def test_list_orders_by_status(api: Api) -> None:
    waiting = _order(api)
    ready = _order(api, conversation="sms:+447700900124")
    api.shop.run(orders.mark_ready, ready, "test")
    response = await api.client.get("/api/stores/leeds/orders", params={"status": "ready"}, headers=api.auth())
    assert response.status_code == 200
    listed = response.json()["orders"]
    assert [o["reference"] for o in listed] == [ready]
    assert listed[0]["lines"] == [{"sku": "JKT-NVY-M", "name": "Trail Jacket", "colour": "Navy", "size": "M", "quantity": 1}]
    assert "pickup_code" not in listed[0]
    everything_open = (await api.client.get("/api/stores/leeds/orders", headers=api.auth())).json()["orders"]
    assert sorted(o["reference"] for o in everything_open) == sorted([waiting, ready])
    bad = await api.client.get("/api/stores/leeds/orders", params={"status": "lost"}, headers=api.auth())
    assert bad.status_code == 400 and "unknown status 'lost'" in bad.json()["error"]


async def test_mark_ready_alerts_the_shopper_once_and_is_audited(api: Api) -> None:
    reference = _order(api)
    response = await api.client.post(f"/api/stores/leeds/orders/{reference}/ready", headers=api.auth())
    assert response.status_code == 200
    body = response.json()
    assert body["order"]["status"] == "ready" and body["alert_scheduled"] is True and body["alert_suppressed"] is None

    await _until(lambda: len(api.rasa.calls) == 1)
    assert [(c, i, e["order_reference"], e["notice_key"], o) for c, i, e, o in api.rasa.calls] == [
        ("sms:+447700900123", "EXTERNAL_order_ready", reference, f"ready_alert:{reference}", "sms")
    ]
    prefix = api.leeds_key.split(".")[0]
    assert [(actor, store) for actor, store, _d in _audit(api, "order_ready")] == [(f"store_api:{prefix}", "leeds")]

    again = await api.client.post(f"/api/stores/leeds/orders/{reference}/ready", headers=api.auth())
    assert again.status_code == 200 and again.json()["alert_scheduled"] is False
    await asyncio.sleep(0.3)
    assert len(api.rasa.calls) == 1 and len(_audit(api, "order_ready")) == 1


async def test_unpaid_link_order_cannot_be_ready(api: Api) -> None:
    reference = _order(api, method="link")
    response = await api.client.post(f"/api/stores/leeds/orders/{reference}/ready", headers=api.auth())
    assert response.status_code == 409 and response.json()["order_status"] == "pending_payment"
    missing = await api.client.post("/api/stores/leeds/orders/FS-ZZZZZZ/ready", headers=api.auth())
    assert missing.status_code == 404


async def test_collect_checks_the_pickup_code(api: Api) -> None:
    reference = _order(api)
    api.shop.run(orders.mark_ready, reference, "test")
    code = api.shop.run(orders.order_status, reference).pickup_code
    wrong = await api.client.post(f"/api/stores/leeds/orders/{reference}/collect", headers=api.auth(), json={"pickup_code": "AAAAAA"})
    assert wrong.status_code == 422 and wrong.json() == {"error": "the pickup code does not match this order"}
    missing = await api.client.post(f"/api/stores/leeds/orders/{reference}/collect", headers=api.auth(), json={})
    assert missing.status_code == 422
    assert api.shop.run(orders.order_status, reference).status == "ready"
    assert len(_audit(api, "pickup_code_rejected")) == 2

    right = await api.client.post(f"/api/stores/leeds/orders/{reference}/collect", headers=api.auth(), json={"pickup_code": code.lower()})
    assert right.status_code == 200 and right.json()["order"]["status"] == "collected"
    assert stock(api.shop, "leeds", "JKT-NVY-M") == (4, 0)
    assert len(_audit(api, "order_collected")) == 1
    not_json = await api.client.post(f"/api/stores/leeds/orders/{reference}/collect", headers=api.auth(), content=b"{oops")
    assert not_json.status_code == 400


async def test_cancel_needs_a_reason_and_releases_stock(api: Api) -> None:
    reference = _order(api)
    assert stock(api.shop, "leeds", "JKT-NVY-M") == (5, 1)
    no_reason = await api.client.post(f"/api/stores/leeds/orders/{reference}/cancel", headers=api.auth(), json={"reason": "  "})
    assert no_reason.status_code == 400
    response = await api.client.post(f"/api/stores/leeds/orders/{reference}/cancel", headers=api.auth(), json={"reason": "damaged in store"})
    assert response.status_code == 200
    assert response.json()["order"]["status"] == "cancelled" and response.json()["order"]["cancel_reason"] == "damaged in store"
    assert stock(api.shop, "leeds", "JKT-NVY-M") == (5, 0)
    assert [d["reason"] for _a, _s, d in _audit(api, "order_cancelled")] == ["damaged in store"]


async def test_bulk_stock_upsert_is_idempotent_and_reports_bad_rows(api: Api) -> None:
    export = "sku,on_hand\nJKT-NVY-M,9\nNOPE,1\nBTS-BRN-42,x\nFLC-RED-S,11\n"
    first = await api.client.put("/api/stores/leeds/stock", headers={**api.auth(), "Content-Type": "text/csv"}, content=export)
    assert first.status_code == 200
    assert first.json() == {
        "store_id": "leeds", "received": 4, "created": 0, "updated": 2, "unchanged": 0, "rejected": 2,
        "errors": [
            {"line": 3, "sku": "NOPE", "error": "unknown SKU NOPE"},
            {"line": 4, "sku": "BTS-BRN-42", "error": "on_hand must be a whole number, got 'x'"},
        ],
    }
    second = await api.client.put("/api/stores/leeds/stock", headers={**api.auth(), "Content-Type": "text/csv"}, content=export)
    assert (second.json()["updated"], second.json()["unchanged"]) == (0, 2)
    assert stock(api.shop, "leeds", "JKT-NVY-M") == (9, 0) and stock(api.shop, "leeds", "FLC-RED-S") == (11, 0)

    as_json = await api.client.put("/api/stores/leeds/stock", headers=api.auth(), json={"rows": [{"sku": "JKT-NVY-M", "on_hand": 7}]})
    assert as_json.status_code == 200 and as_json.json()["updated"] == 1
    prefix = api.leeds_key.split(".")[0]
    assert [(actor, store) for actor, store, _d in _audit(api, "stock_synced")] == [(f"store_api:{prefix}", "leeds")] * 3
    unreadable = await api.client.put("/api/stores/leeds/stock", headers=api.auth(), content="qty\n1\n")
    assert unreadable.status_code == 400


def _sanic_path(path: str) -> str:
    return "/" + re.sub(r"<(\w+)(:[^>]*)?>", r"{\1}", path.strip("/"))


async def test_openapi_describes_every_route(api: Api) -> None:
    response = await api.client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document == openapi_document() and document["openapi"].startswith("3.0")
    described = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}
    served = {
        (_sanic_path(route.path), method)
        for route in api.app.router.routes
        for method in route.methods
        if method not in ("HEAD", "OPTIONS")
    }
    assert served and served == described


@pytest.mark.parametrize(
    "body",
    [
        # The probe's stock bodies that were 500s (csv.Error), and JSON the parser cannot use.
        b'sku,on_hand\nJKT-NVY-M,"4\x00"\n',
        b"sku,on_hand\nJKT\x00NVY-M,4\n",
        b"sku,on_hand\nJKT\rNVY-M,4\n",  # a bare carriage return inside a field
        b"[" * 100_000,
        b'[{"sku": "\\ud800", "on_hand": 1}]',
        b'[{"sku": "JKT\\u0000NVY-M", "on_hand": 1}]',
    ],
)
async def test_unreadable_stock_bodies_are_400_and_change_nothing(api: Api, body: bytes) -> None:
    before = stock(api.shop, "leeds", "JKT-NVY-M")
    reply = await api.client.put("/api/stores/leeds/stock", headers=api.auth(), content=body)
    assert reply.status_code == 400, reply.text
    assert stock(api.shop, "leeds", "JKT-NVY-M") == before
