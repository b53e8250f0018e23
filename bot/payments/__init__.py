"""Payment providers behind one interface: the embedded sandbox (default) and Stripe."""

from __future__ import annotations

from typing import Callable

from bot.config import Settings
from bot.payments.base import (
    CreatedLink,
    EventKind,
    InvalidSignature,
    LinkRequest,
    MalformedEvent,
    PaymentEvent,
    PaymentProvider,
    PaymentProviderError,
    RefundResult,
)

PROVIDER_NAMES = ("sandbox", "stripe")


class ProviderNotConfigured(Exception):
    """The named provider is unknown or lacks its secrets in this deployment."""


def build_provider(settings: Settings, name: str) -> PaymentProvider:
    """Builds the named provider from settings.

    Raises:
        ProviderNotConfigured: unknown name, or missing secrets.
    """
    try:
        if name == "sandbox":
            from bot.payments.sandbox import SandboxProvider

            return SandboxProvider(settings.sandbox_webhook_secret, settings.public_base_url)
        if name == "stripe":
            from bot.payments.stripe import StripeProvider

            return StripeProvider(
                settings.stripe_secret_key,
                settings.stripe_webhook_secret,
                settings.public_base_url,
                api_base=settings.stripe_api_base,
            )
    except ValueError as error:
        raise ProviderNotConfigured(str(error)) from error
    raise ProviderNotConfigured(f"unknown payment provider {name!r}")


def provider_factory(settings: Settings) -> Callable[[str], PaymentProvider]:
    """A cached `name -> provider` lookup for servers (providers are stateless and thread-safe)."""
    built: dict[str, PaymentProvider] = {}

    def factory(name: str) -> PaymentProvider:
        if name not in built:
            built[name] = build_provider(settings, name)
        return built[name]

    return factory


__all__ = [
    "CreatedLink",
    "EventKind",
    "InvalidSignature",
    "LinkRequest",
    "MalformedEvent",
    "PaymentEvent",
    "PaymentProvider",
    "PaymentProviderError",
    "ProviderNotConfigured",
    "RefundResult",
    "build_provider",
    "provider_factory",
]
