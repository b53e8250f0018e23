"""Webhook authentication helpers shared by the connectors; every comparison is constant-time."""

from __future__ import annotations

import hashlib
import hmac

from bot.messaging.channels.twilio import verify_twilio_signature

__all__ = ["hmac_sha256_hex", "secrets_equal", "verify_meta_signature", "verify_twilio_signature"]

META_SIGNATURE_PREFIX = "sha256="


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    """hex(HMAC-SHA256(secret, body))."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def secrets_equal(expected: str, given: str | None) -> bool:
    """Constant-time equality of a configured secret and a presented one; an empty secret never matches."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def verify_meta_signature(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """Checks X-Hub-Signature-256 = "sha256=" + hex(HMAC-SHA256(app secret, raw body))."""
    if not header or not header.startswith(META_SIGNATURE_PREFIX):
        return False
    return secrets_equal(hmac_sha256_hex(app_secret, raw_body), header[len(META_SIGNATURE_PREFIX):].lower())
