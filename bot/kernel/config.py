"""Settings read from the environment, with embedded defaults for a single machine.

This is the one place the environment is read: every policy and credential of the commerce core,
its servers and its connectors is a field of `Settings` (`load_settings(env)` reads another mapping,
as tests do). Reading settings has no side effects: nothing here opens a file, a socket or a database.
"""

from __future__ import annotations

import os
import re
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

PROJECT_ROOT = Path(__file__).resolve().parents[2]


# What the field readers below read: the process environment, unless load_settings was given a mapping.
_source: ContextVar[Mapping[str, str] | None] = ContextVar("settings_source", default=None)


@contextmanager
def _reading(env: Mapping[str, str] | None) -> Iterator[None]:
    token = _source.set(env)
    try:
        yield
    finally:
        _source.reset(token)


def _lookup(name: str) -> str | None:
    source = _source.get()
    return (os.environ if source is None else source).get(name)


def _env(name: str, default: str = "") -> str:
    raw = _lookup(name)
    return default if raw is None else raw


def _env_int(name: str, default: int) -> int:
    raw = _lookup(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from error


def _env_bool(name: str, default: bool) -> bool:
    raw = _lookup(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_colour(name: str, default: str) -> str:
    raw = _lookup(name) or default
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", raw):
        raise ValueError(f"{name} must be a colour written #rrggbb, got {raw!r}")
    return raw


# Secrets every process of a deployment must be given. In development scripts/shop_env.py generates
# them into a per-user file; in production mode (SHOP_PRODUCTION=1) that file is never read, and a
# process with one of them blank refuses to start instead of running with a secret nobody else has.
PRODUCTION_SECRETS = ("RASA_TOKEN", "WEBCHAT_SECRET", "SANDBOX_WEBHOOK_SECRET", "SHOP_SESSION_SECRET", "ACTION_ENDPOINT_TOKEN")


def production_mode(env: Mapping[str, str] | None = None) -> bool:
    """SHOP_PRODUCTION=1 (deploy/production.env.example, deploy/k8s/config.yaml)."""
    with _reading(env):
        return _env_bool("SHOP_PRODUCTION", False)


def blank_production_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """The production secrets that are unset or blank in `env` (the process environment by default)."""
    values = os.environ if env is None else env
    return [name for name in PRODUCTION_SECRETS if not values.get(name, "").strip()]


def refuse_blank_secrets_in_production(process: str) -> None:
    """Exits with status 2 and says which secrets are missing, when in production mode and any is blank."""
    blank = blank_production_secrets() if production_mode() else []
    if blank:
        print(
            f"error: {process} refuses to start: SHOP_PRODUCTION=1 but {', '.join(blank)} "
            f"{'is' if len(blank) == 1 else 'are'} blank. Set every secret in deploy/production.env (or your "
            "secret store); production never falls back to the per-user development secrets.",
            file=sys.stderr,
        )
        raise SystemExit(2)


# Where Twilio posts delivery statuses (bot/server/messaging_routes.py).
TWILIO_STATUS_PATH = "/twilio/status"


def _status_callback_default() -> str:
    """SHOP_PUBLIC_URL + the status path, only when SHOP_PUBLIC_URL is set (Twilio cannot call localhost)."""
    shop_url = _env("SHOP_PUBLIC_URL").rstrip("/")
    return f"{shop_url}{TWILIO_STATUS_PATH}" if shop_url else ""


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
    # Brand colours for every page (bot/server/site_style.py keeps text on them readable).
    brand_primary: str = field(default_factory=lambda: _env_colour("SHOP_BRAND_PRIMARY", "#24543a"))
    brand_accent: str = field(default_factory=lambda: _env_colour("SHOP_BRAND_ACCENT", "#c8872b"))
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
    midtrans_server_key: str = field(default_factory=lambda: _env("MIDTRANS_SERVER_KEY"))
    midtrans_snap_base: str = field(default_factory=lambda: _env("MIDTRANS_SNAP_BASE", "https://app.midtrans.com"))
    midtrans_api_base: str = field(default_factory=lambda: _env("MIDTRANS_API_BASE", "https://api.midtrans.com"))
    hold_minutes_unpaid: int = field(default_factory=lambda: _env_int("HOLD_MINUTES_UNPAID", 120))
    hold_hours_paid: int = field(default_factory=lambda: _env_int("HOLD_HOURS_PAID", 72))
    # Pickup alerts: a ready order not yet collected gets a reminder this long after it was ready, and a
    # last notice this long before its hold lapses.
    pickup_reminder_hours: int = field(default_factory=lambda: _env_int("PICKUP_REMINDER_HOURS", 24))
    hold_ending_notice_hours: int = field(default_factory=lambda: _env_int("HOLD_ENDING_NOTICE_HOURS", 4))
    # The market of a conversation that names no store and writes in no market's own language (markets.csv id).
    default_market: str = field(default_factory=lambda: _env("SHOP_DEFAULT_MARKET", "gb"))
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
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "INFO"))
    # The funnel consumer: the RabbitMQ queue Rasa's event broker fills, and how often it logs its counts.
    rasa_events_queue: str = field(default_factory=lambda: _env("RASA_EVENTS_QUEUE", "rasa_events"))
    funnel_report_seconds: int = field(default_factory=lambda: _env_int("FUNNEL_REPORT_SECONDS", 60))
    # The sweeper process runs one sweep and exits (a cron job's way to run it).
    sweep_once: bool = field(default_factory=lambda: _env_bool("SHOP_SWEEP_ONCE", False))
    # Handoff to a person: when people answer chats (blank: bot.domain.support_hours defaults), and how
    # recently an agent must have been seen to count as online.
    support_hours: str = field(default_factory=lambda: _env("SUPPORT_HOURS"))
    support_timezone: str = field(default_factory=lambda: _env("SUPPORT_TIMEZONE"))
    agent_online_minutes: int = field(default_factory=lambda: _env_int("AGENT_ONLINE_MINUTES", 5))
    console_session_minutes: int = field(default_factory=lambda: _env_int("CONSOLE_SESSION_MINUTES", 480))
    # Channel credentials (never in credentials.yml). A channel without them queues to the outbox.
    twilio_account_sid: str = field(default_factory=lambda: _env("TWILIO_ACCOUNT_SID"))
    twilio_auth_token: str = field(default_factory=lambda: _env("TWILIO_AUTH_TOKEN"))
    twilio_sms_from: str = field(default_factory=lambda: _env("TWILIO_SMS_FROM"))
    twilio_whatsapp_from: str = field(default_factory=lambda: _env("TWILIO_WHATSAPP_FROM"))
    twilio_public_url: str = field(default_factory=lambda: _env("TWILIO_PUBLIC_URL"))
    twilio_api_base: str = field(default_factory=lambda: _env("TWILIO_API_BASE"))
    twilio_status_callback_url: str = field(default_factory=lambda: _env("TWILIO_STATUS_CALLBACK_URL") or _status_callback_default())
    whatsapp_template_sid: str = field(default_factory=lambda: _env("WHATSAPP_TEMPLATE_SID"))
    meta_app_secret: str = field(default_factory=lambda: _env("META_APP_SECRET"))
    meta_verify_token: str = field(default_factory=lambda: _env("META_VERIFY_TOKEN"))
    messenger_page_token: str = field(default_factory=lambda: _env("MESSENGER_PAGE_TOKEN"))
    instagram_page_token: str = field(default_factory=lambda: _env("INSTAGRAM_PAGE_TOKEN"))
    meta_graph_base: str = field(default_factory=lambda: _env("META_GRAPH_BASE"))
    telegram_bot_token: str = field(default_factory=lambda: _env("TELEGRAM_BOT_TOKEN"))
    telegram_secret_token: str = field(default_factory=lambda: _env("TELEGRAM_SECRET_TOKEN"))
    telegram_api_base: str = field(default_factory=lambda: _env("TELEGRAM_API_BASE"))


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Reads the settings from the environment as it is now (or from `env`, with nothing else read)."""
    with _reading(env):
        return Settings()
