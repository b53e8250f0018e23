"""The OpenAPI 3.0 description of the store API, written by hand and checked against the routes by a test."""

from __future__ import annotations

from typing import Any

_STORE_ID = {"name": "store_id", "in": "path", "required": True, "schema": {"type": "string"}, "example": "leeds"}
_REFERENCE = {"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}, "example": "FS-7K2M9Q"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
}
_ORDER_ERRORS = {
    **_ERRORS,
    "404": _json(_ref("Error"), "No order with that reference."),
    "409": _json(_ref("Error"), "The order's status does not allow this change."),
}


def _order_action(summary: str, body: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": [_STORE_ID, _REFERENCE],
        "responses": {"200": _json(_ref("OrderResult"), "The order after the change."), **_ORDER_ERRORS, **(extra or {})},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return operation


def openapi_document() -> dict[str, Any]:
    """The document served at /api/openapi.json."""
    order_properties = {
        "reference": {"type": "string"},
        "status": {"type": "string", "enum": ["pending_payment", "paid", "ready", "collected", "cancelled", "expired"]},
        "payment_method": {"type": "string", "enum": ["link", "at_pickup"]},
        "store_id": {"type": "string"},
        "store_name": {"type": "string"},
        "total_minor": {"type": "integer", "description": "Total in minor units (pence)."},
        "currency": {"type": "string"},
        "pickup_deadline": {"type": "string", "format": "date-time", "description": "When the hold lapses."},
        "channel": {"type": "string"},
        "contact_phone": {"type": "string", "nullable": True},
        "created_at": {"type": "string", "format": "date-time"},
        "paid_at": {"type": "string", "format": "date-time", "nullable": True},
        "ready_at": {"type": "string", "format": "date-time", "nullable": True},
        "collected_at": {"type": "string", "format": "date-time", "nullable": True},
        "cancel_reason": {"type": "string", "nullable": True},
        "lines": {"type": "array", "items": _ref("OrderLine")},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Fellside store API",
            "version": "1.0.0",
            "description": (
                "Store staff systems: orders to pick and hand over, and stock from the till. Each API key "
                "belongs to one store (created with `python -m bot.cli create-store-key STORE`); any other "
                "store's data answers 403. Every change is audit-logged."
            ),
        },
        "security": [{"storeKey": []}],
        "paths": {
            "/api/stores/{store_id}/orders": {
                "get": {
                    "summary": "List the store's orders by status",
                    "parameters": [
                        _STORE_ID,
                        {
                            "name": "status",
                            "in": "query",
                            "required": False,
                            "description": "Comma-separated statuses (default: pending_payment,paid,ready).",
                            "schema": {"type": "string"},
                            "example": "ready",
                        },
                    ],
                    "responses": {
                        "200": _json({"type": "object", "properties": {"orders": {"type": "array", "items": _ref("Order")}}}, "Orders, soonest pickup deadline first."),
                        "400": _json(_ref("Error"), "Unknown status."),
                        **_ERRORS,
                    },
                }
            },
            "/api/stores/{store_id}/orders/{reference}": {
                "get": {
                    "summary": "One order of the store",
                    "parameters": [_STORE_ID, _REFERENCE],
                    "responses": {
                        "200": _json({"type": "object", "properties": {"order": _ref("Order")}}, "The order."),
                        **_ORDER_ERRORS,
                    },
                }
            },
            "/api/stores/{store_id}/orders/{reference}/ready": {
                "post": _order_action(
                    "Mark an order ready to collect; the shopper is alerted once on their channel",
                ),
            },
            "/api/stores/{store_id}/orders/{reference}/collect": {
                "post": _order_action(
                    "Hand the order over, checking the shopper's pickup code",
                    {"type": "object", "required": ["pickup_code"], "properties": {"pickup_code": {"type": "string", "example": "7K2M9Q"}}},
                    {"422": _json(_ref("Error"), "The pickup code does not match.")},
                ),
            },
            "/api/stores/{store_id}/orders/{reference}/cancel": {
                "post": _order_action(
                    "Cancel an order with a reason; held stock goes back and a paid order is refunded",
                    {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "maxLength": 240}}},
                    {"400": _json(_ref("Error"), "No reason given.")},
                ),
            },
            "/api/stores/{store_id}/stock": {
                "put": {
                    "summary": "Bulk upsert stock levels from a till or POS export (idempotent)",
                    "description": (
                        "Sets on_hand for each SKU at the store. Good rows are applied and bad rows reported "
                        "with their line number (CSV: line in the file, header = 1; JSON: 1-based row position). "
                        "A row whose on_hand is below the units reserved for open orders is rejected, not clamped. "
                        "Up to 50,000 rows per call."
                    ),
                    "parameters": [_STORE_ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "text/csv": {"schema": {"type": "string"}, "example": "sku,on_hand,safety_buffer\nJKT-NVY-M,12,\n"},
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"type": "array", "items": _ref("StockRow")},
                                        {"type": "object", "properties": {"rows": {"type": "array", "items": _ref("StockRow")}}},
                                    ]
                                }
                            },
                        },
                    },
                    "responses": {
                        "200": _json(_ref("StockReport"), "What was applied and which rows were rejected."),
                        "400": _json(_ref("Error"), "The payload as a whole is unreadable; nothing applied."),
                        **_ERRORS,
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.0 document", "content": {"application/json": {}}}},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "storeKey": {"type": "http", "scheme": "bearer", "description": "`<prefix>.<secret>`, shown once at creation."}
            },
            "responses": {
                "Unauthorized": _json(_ref("Error"), "Missing, unknown or revoked API key."),
                "Forbidden": _json(_ref("Error"), "The key belongs to another store."),
            },
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "OrderLine": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string"},
                        "name": {"type": "string"},
                        "colour": {"type": "string"},
                        "size": {"type": "string"},
                        "quantity": {"type": "integer"},
                    },
                },
                "Order": {"type": "object", "properties": order_properties},
                "OrderResult": {
                    "type": "object",
                    "properties": {
                        "order": _ref("Order"),
                        "alert_scheduled": {"type": "boolean", "description": "ready: this call scheduled the shopper's alert."},
                        "alert_suppressed": {"type": "string", "nullable": True, "description": "ready: why no alert (opt-out)."},
                        "already_cancelled": {"type": "boolean"},
                        "refund": {"type": "string", "nullable": True},
                    },
                },
                "StockRow": {
                    "type": "object",
                    "required": ["sku", "on_hand"],
                    "properties": {
                        "sku": {"type": "string"},
                        "on_hand": {"type": "integer", "minimum": 0},
                        "safety_buffer": {"type": "integer", "minimum": 0, "nullable": True},
                    },
                },
                "StockReport": {
                    "type": "object",
                    "properties": {
                        "store_id": {"type": "string"},
                        "received": {"type": "integer"},
                        "created": {"type": "integer"},
                        "updated": {"type": "integer"},
                        "unchanged": {"type": "integer"},
                        "rejected": {"type": "integer"},
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"line": {"type": "integer"}, "sku": {"type": "string"}, "error": {"type": "string"}},
                            },
                        },
                    },
                },
            },
        },
    }
