"""Payment providers behind one interface: the embedded sandbox (default), Stripe and Midtrans.

Each market names the provider that makes its pay links (markets.csv `link_provider`); a deployment
running the sandbox (PAYMENT_PROVIDER=sandbox) gets the sandbox's imitation of that provider instead.
"""

from __future__ import annotations

from typing import Callable

from bot.kernel.config import Settings
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

PROVIDER_NAMES = ("sandbox", "stripe", "midtrans", "sandbox_midtrans")
# market's link provider -> what imitates it in a sandbox deployment
_SANDBOX_FOR = {"stripe": "sandbox", "midtrans": "sandbox_midtrans"}

ProviderChooser = Callable[[str | None], PaymentProvider]  # a market's link_provider (None: no market)


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
        if name == "midtrans":
            from bot.payments.midtrans import MidtransProvider

            return MidtransProvider(
                settings.midtrans_server_key, settings.public_base_url,
                snap_base=settings.midtrans_snap_base, api_base=settings.midtrans_api_base,
            )
        if name == "sandbox_midtrans":
            from bot.payments.sandbox import SandboxMidtransProvider

            return SandboxMidtransProvider(settings.sandbox_webhook_secret, settings.public_base_url)
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


def link_provider_name(deployment_provider: str, market_provider: str | None) -> str:
    """The provider that makes a market's links: the market's own, or in a sandbox deployment its imitation.

    A store without a market uses the deployment's provider, as before markets existed.
    """
    if deployment_provider == "sandbox":
        return _SANDBOX_FOR.get(market_provider or "", "sandbox")
    return market_provider or deployment_provider


def provider_chooser(settings: Settings, factory: Callable[[str], PaymentProvider] | None = None) -> ProviderChooser:
    """`market link_provider -> provider` for this deployment."""
    factory = factory or provider_factory(settings)
    return lambda market_provider: factory(link_provider_name(settings.payment_provider, market_provider))


__all__ = [
    "CreatedLink",
    "EventKind",
    "InvalidSignature",
    "LinkRequest",
    "MalformedEvent",
    "PaymentEvent",
    "PaymentProvider",
    "PaymentProviderError",
    "ProviderChooser",
    "ProviderNotConfigured",
    "RefundResult",
    "build_provider",
    "link_provider_name",
    "provider_chooser",
    "provider_factory",
]
