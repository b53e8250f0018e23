"""Where the production services are for tests, and a check that each answers (skip locally, fail in CI)."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

from tests.support.databases import POSTGRES_ADMIN_URL, require_service

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


def answers(url: str, default_port: int) -> str | None:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=3):
            return None
    except OSError as error:
        return str(error)


def require_redis() -> str:
    """The test Redis URL, after checking that Redis answers."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        require_service("Redis", f"{REDIS_URL}: {error}")
    return REDIS_URL


def require_rabbitmq() -> str:
    """The test RabbitMQ URL, after checking that its port answers."""
    problem = answers(RABBITMQ_URL, 5672)
    if problem:
        require_service("RabbitMQ", f"{urlparse(RABBITMQ_URL).hostname}: {problem}")
    return RABBITMQ_URL


def require_postgres() -> str:
    """The admin URL of the test PostgreSQL server, after checking that it answers."""
    from sqlalchemy import create_engine, text

    engine = create_engine(POSTGRES_ADMIN_URL, future=True)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "no server here"
        require_service("PostgreSQL", str(error))
    finally:
        engine.dispose()
    return POSTGRES_ADMIN_URL
