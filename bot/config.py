"""Settings read from the environment, with embedded defaults for a single machine.

Reading settings has no side effects: nothing here opens a file, a socket or a database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from error


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _default_database_url() -> str:
    if _env("SHOP_DATABASE_URL"):
        return _env("SHOP_DATABASE_URL")
    state_dir = Path(_env("SHOP_STATE_DIR", str(PROJECT_ROOT / "var")))
    return f"sqlite:///{state_dir / 'shop.db'}"


@dataclass(frozen=True)
class Settings:
    """Everything the commerce core and its servers can be told from outside."""

    database_url: str = field(default_factory=_default_database_url)
    retailer_name: str = field(default_factory=lambda: _env("SHOP_RETAILER_NAME", "Fellside Outfitters"))
    support_phone: str = field(default_factory=lambda: _env("SHOP_SUPPORT_PHONE", "+44 161 496 0000"))
    public_base_url: str = field(default_factory=lambda: _env("SHOP_PUBLIC_URL", "http://localhost:5055"))
    bot_server_host: str = field(default_factory=lambda: _env("SHOP_HOST", "127.0.0.1"))
    bot_server_port: int = field(default_factory=lambda: _env_int("SHOP_PORT", 5055))
    rasa_url: str = field(default_factory=lambda: _env("RASA_URL", "http://127.0.0.1:5005"))
    rasa_token: str = field(default_factory=lambda: _env("RASA_TOKEN"))
    payment_provider: str = field(default_factory=lambda: _env("PAYMENT_PROVIDER", "sandbox"))
    sandbox_webhook_secret: str = field(default_factory=lambda: _env("SANDBOX_WEBHOOK_SECRET"))
    stripe_secret_key: str = field(default_factory=lambda: _env("STRIPE_SECRET_KEY"))
    stripe_webhook_secret: str = field(default_factory=lambda: _env("STRIPE_WEBHOOK_SECRET"))
    stripe_api_base: str = field(default_factory=lambda: _env("STRIPE_API_BASE", "https://api.stripe.com"))
    hold_minutes_unpaid: int = field(default_factory=lambda: _env_int("HOLD_MINUTES_UNPAID", 120))
    hold_hours_paid: int = field(default_factory=lambda: _env_int("HOLD_HOURS_PAID", 72))
    catalog_dir: Path = field(default_factory=lambda: Path(_env("SHOP_CATALOG_DIR", str(PROJECT_ROOT / "data" / "catalog"))))
    session_secret: str = field(default_factory=lambda: _env("SHOP_SESSION_SECRET"))
    redis_url: str = field(default_factory=lambda: _env("REDIS_URL"))
    sweep_interval_seconds: int = field(default_factory=lambda: _env_int("SHOP_SWEEP_SECONDS", 30))
    # How long a sweeper may hold a claimed notice before another takes it (longer than a Rasa call).
    notice_lease_seconds: int = field(default_factory=lambda: _env_int("SHOP_NOTICE_LEASE_SECONDS", 300))
    # The wait before a failed notice is retried; it doubles on every failure, up to an hour.
    notice_retry_seconds: int = field(default_factory=lambda: _env_int("SHOP_NOTICE_RETRY_SECONDS", 30))
    webchat_secret: str = field(default_factory=lambda: _env("WEBCHAT_SECRET"))
    # What Rasa presents to the action endpoint (endpoints.yml action_endpoint.headers); unset refuses all.
    action_endpoint_token: str = field(default_factory=lambda: _env("ACTION_ENDPOINT_TOKEN"))
    sql_echo: bool = field(default_factory=lambda: _env_bool("SHOP_SQL_ECHO", False))


def load_settings() -> Settings:
    """Reads the settings from the environment as it is now."""
    return Settings()
