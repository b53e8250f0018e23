"""The store API: JSON under /api/stores/<store_id>/..., one API key per store (`Authorization: Bearer <key>`).

A key works only for its own store: any other store's orders or stock answer 403. Every change goes
through services that audit-log it with the key's prefix as the actor. `GET /api/openapi.json`
describes the routes (see `bot/server/store_openapi.py`).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.ordering.rules import InvalidTransition, NotYourOrder, OrderNotFound
from bot.payments import PaymentProviderError, ProviderNotConfigured, provider_factory
from bot.server.store_openapi import openapi_document
from bot.ordering.orders import CancelledOrder, order_json
from bot.ordering.pay_links import execute_refund
from bot.ordering.notices import ALERT_KINDS
from bot.ordering.pickup_alerts import AlertPolicy
from bot.catalog.stock_sync import StockSyncError, sync_stock
from bot.identity.store_access import StorePrincipal, authenticate_api_key
from bot.store_operations.store_orders import (
    UnknownStatus,
    WrongStore,
    cancel_store_order,
    collect_store_order,
    list_store_orders,
    mark_store_order_ready,
    store_order,
)
from bot.orchestration.push import kick_notice_delivery
from bot.kernel.shop import Shop

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[HTTPResponse]]


def _error(status: int, message: str, **extra: Any) -> HTTPResponse:
    return json({"error": message, **extra}, status=status)


def _bearer(request: Request) -> str:
    scheme, _space, credentials = (request.headers.get("authorization") or "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def kick_alert_delivery(app: Any, shop: Shop) -> None:
    """Sends due pickup alerts now, in the background (the periodic sweep is the safety net)."""
    kick_notice_delivery(app.ctx, shop, ALERT_KINDS)


def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = request.json if request.body else {}
    except Exception:  # noqa: BLE001 - Sanic raises its own error type for bad JSON
        raise ValueError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def build_store_api_blueprint() -> Blueprint:
    """The store API routes; uses `app.ctx.shop` and `app.ctx.rasa` as the app factory sets them."""
    blueprint = Blueprint("store_api")

    def store_route(handler: Handler) -> Handler:
        """Authenticates the key and checks it belongs to the store in the path before the handler runs."""

        async def guarded(request: Request, store_id: str, **kwargs: Any) -> HTTPResponse:
            key = _bearer(request)
            if not key:
                return json({"error": "missing API key"}, status=401, headers={"WWW-Authenticate": "Bearer"})
            shop: Shop = request.app.ctx.shop
            principal = await shop.call(authenticate_api_key, key)
            if principal is None:
                return json({"error": "invalid API key"}, status=401, headers={"WWW-Authenticate": "Bearer"})
            if principal.store_id != store_id:
                return _error(403, "this key is not for that store")
            try:
                return await handler(request, shop, principal, **kwargs)
            except OrderNotFound as error:
                return _error(404, str(error))
            except WrongStore as error:
                return _error(403, str(error))
            except InvalidTransition as error:
                return _error(409, str(error), order_status=error.current)
            except NotYourOrder:
                return _error(422, "the pickup code does not match this order")
            except (UnknownStatus, StockSyncError, ValueError) as error:
                return _error(400, str(error))

        guarded.__name__ = handler.__name__
        return guarded

    @blueprint.get("/api/stores/<store_id:str>/orders")
    @store_route
    async def list_orders(request: Request, shop: Shop, principal: StorePrincipal) -> HTTPResponse:
        raw = ",".join(request.args.getlist("status") or [])
        statuses = tuple(part.strip() for part in raw.split(",") if part.strip()) or None
        orders = await shop.call(list_store_orders, principal.store_id, statuses)
        return json({"orders": [order_json(order) for order in orders]})

    @blueprint.get("/api/stores/<store_id:str>/orders/<reference:str>")
    @store_route
    async def get_order(request: Request, shop: Shop, principal: StorePrincipal, reference: str) -> HTTPResponse:
        return json({"order": order_json(await shop.call(store_order, principal.store_id, reference))})

    @blueprint.post("/api/stores/<store_id:str>/orders/<reference:str>/ready")
    @store_route
    async def mark_ready(request: Request, shop: Shop, principal: StorePrincipal, reference: str) -> HTTPResponse:
        policy = AlertPolicy.from_settings(shop.settings)
        outcome = await shop.call(mark_store_order_ready, principal.store_id, reference, principal.actor, None, policy)
        if outcome.alert_scheduled:
            kick_alert_delivery(request.app, shop)
        return json(
            {
                "order": order_json(outcome.order),
                "alert_scheduled": outcome.alert_scheduled,
                "alert_suppressed": outcome.suppressed_reason,
            }
        )

    @blueprint.post("/api/stores/<store_id:str>/orders/<reference:str>/collect")
    @store_route
    async def mark_collected(request: Request, shop: Shop, principal: StorePrincipal, reference: str) -> HTTPResponse:
        code = str(_json_body(request).get("pickup_code") or "")
        order = await shop.call(collect_store_order, principal.store_id, reference, code, principal.actor)
        return json({"order": order_json(order)})

    @blueprint.post("/api/stores/<store_id:str>/orders/<reference:str>/cancel")
    @store_route
    async def cancel(request: Request, shop: Shop, principal: StorePrincipal, reference: str) -> HTTPResponse:
        reason = str(_json_body(request).get("reason") or "")
        cancelled: CancelledOrder = await shop.call(cancel_store_order, principal.store_id, reference, reason, principal.actor)
        refund_status = None
        if cancelled.refund is not None:
            try:
                provider = provider_factory(shop.settings)(cancelled.refund.provider)
                refund_status = (await shop.call(execute_refund, provider, cancelled.refund)).status
            except (PaymentProviderError, ProviderNotConfigured) as error:
                log.error("refund for %s failed, left for staff: %s", cancelled.reference, error)
                refund_status = "failed"
        order = await shop.call(store_order, principal.store_id, cancelled.reference)
        return json({"order": order_json(order), "already_cancelled": cancelled.already_cancelled, "refund": refund_status})

    @blueprint.put("/api/stores/<store_id:str>/stock")
    @store_route
    async def put_stock(request: Request, shop: Shop, principal: StorePrincipal) -> HTTPResponse:
        report = await shop.call(sync_stock, principal.store_id, request.body or b"", principal.actor)
        return json(report.as_dict())

    @blueprint.get("/api/openapi.json")
    async def openapi(request: Request) -> HTTPResponse:
        return json(openapi_document())

    return blueprint
