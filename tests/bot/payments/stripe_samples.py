"""Stripe webhook bodies in Stripe's wire format (pretty-printed JSON, as Stripe sends them)."""

from __future__ import annotations

import json

SESSION_ID = "cs_test_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4y5z6"
PAYMENT_INTENT = "pi_3PnT2bLkdIwHu7ix0abcdEFG"


def checkout_session_event(event_type: str, event_id: str, order_reference: str, amount: int, payment_status: str = "paid") -> bytes:
    """A `checkout.session.*` event shaped exactly like Stripe's API version 2024-06-20 payloads."""
    status = "expired" if event_type.endswith(".expired") else "complete"
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": 1723118411,
        "data": {
            "object": {
                "id": SESSION_ID,
                "object": "checkout.session",
                "after_expiration": None,
                "allow_promotion_codes": None,
                "amount_subtotal": amount,
                "amount_total": amount,
                "automatic_tax": {"enabled": False, "liability": None, "status": None},
                "billing_address_collection": None,
                "cancel_url": "https://shop.example/payments/cancelled",
                "client_reference_id": order_reference,
                "client_secret": None,
                "consent": None,
                "consent_collection": None,
                "created": 1723118005,
                "currency": "gbp",
                "currency_conversion": None,
                "custom_fields": [],
                "custom_text": {"after_submit": None, "shipping_address": None, "submit": None, "terms_of_service_acceptance": None},
                "customer": None,
                "customer_creation": "if_required",
                "customer_details": {
                    "address": {"city": None, "country": "GB", "line1": None, "line2": None, "postal_code": "LS1 1AA", "state": None},
                    "email": "shopper@example.com",
                    "name": "Ana Shopper",
                    "phone": None,
                    "tax_exempt": "none",
                    "tax_ids": [],
                },
                "customer_email": None,
                "expires_at": 1723204405,
                "invoice": None,
                "invoice_creation": {"enabled": False, "invoice_data": {}},
                "livemode": False,
                "locale": None,
                "metadata": {"order_reference": order_reference},
                "mode": "payment",
                "payment_intent": None if status == "expired" else PAYMENT_INTENT,
                "payment_link": None,
                "payment_method_collection": "if_required",
                "payment_method_configuration_details": None,
                "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
                "payment_method_types": ["card"],
                "payment_status": payment_status,
                "phone_number_collection": {"enabled": False},
                "recovered_from": None,
                "saved_payment_method_options": None,
                "setup_intent": None,
                "shipping_address_collection": None,
                "shipping_cost": None,
                "shipping_details": None,
                "shipping_options": [],
                "status": status,
                "submit_type": None,
                "subscription": None,
                "success_url": "https://shop.example/payments/complete",
                "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
                "ui_mode": "hosted",
                "url": None,
            }
        },
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    return json.dumps(event, indent=2).encode()


PAYMENT_INTENT_EVENT = json.dumps(
    {
        "id": "evt_3PnT2bLkdIwHu7ix0pqrstuv",
        "object": "event",
        "api_version": "2024-06-20",
        "created": 1723118411,
        "data": {"object": {"id": PAYMENT_INTENT, "object": "payment_intent", "amount": 8999, "currency": "gbp", "status": "succeeded"}},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": "req_abc", "idempotency_key": "x"},
        "type": "payment_intent.succeeded",
    },
    indent=2,
).encode()
