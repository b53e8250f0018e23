"""One production-mode deployment for the whole folder: 2 Rasa + 2 bot servers on PostgreSQL, Redis, RabbitMQ.

Started once (Rasa replicas take most of a minute to load a model), shared by the tests, torn down at
the end with everything it created: both databases, the Redis keys and the RabbitMQ queue. The chaos run
starts one of its own behind nginx (`deployment(..., behind_nginx=True)`).
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine.url import make_url

from bot.kernel.config import Settings
from bot.kernel.shop import Shop
from deploy.run_replicas import ReplicaSet, plan_replicas
from scripts.shop_env import shop_environment
from scripts.stack import free_port
from tests.production.nginx import running_nginx
from tests.production.services import require_postgres, require_rabbitmq, require_redis
from tests.support.databases import drop_database, fresh_postgres_database
from tests.support.fake_twilio import FakeTwilio
from tests.support.stack import ensure_model, prepare_database

# Short enough that a replica killed mid-message blocks its conversation only briefly in the tests.
LOCK_LEASE_SECONDS = 3
NOTICE_LEASE_SECONDS = 15
TWILIO_AUTH_TOKEN = "production-suite-twilio-token"
SHOP_SMS_NUMBER = "+441610000009"


@dataclass
class Production:
    replicas: ReplicaSet
    shop: Shop
    env: dict[str, str]
    tracker_url: str
    events_queue: str
    rabbitmq_url: str
    twilio: FakeTwilio  # the SMS channel's provider: Rasa replicas send replies here with the real twilio library
    public_url: str | None = None  # nginx's public listener, when the deployment runs behind nginx

    def url(self, name: str) -> str:
        return self.replicas[name].url

    def rasa_events(self, sender_id: str) -> list[dict]:
        """The conversation's tracker as the Rasa replicas share it (REST API of replica 0)."""
        reply = httpx.get(
            f"{self.url('rasa-0')}/conversations/{sender_id}/tracker",
            params={"token": self.env["RASA_TOKEN"], "include_events": "ALL"},
            timeout=30,
        )
        reply.raise_for_status()
        return reply.json()["events"]

    def stored_tracker_events(self, sender_id: str) -> list[dict]:
        """The events rows in the PostgreSQL tracker store, in insertion order."""
        import json

        engine = create_engine(self.tracker_url, future=True)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id"), {"sender": sender_id}
                ).scalars()
                return [json.loads(row) for row in rows]
        finally:
            engine.dispose()


def production_env(database_url: str, tracker_db: str, events_queue: str, key_prefix: str, redis_url: str, rabbitmq_url: str) -> dict[str, str]:
    """deploy/production.env.example, filled in for the test services."""
    admin = make_url(database_url)
    rabbit = make_url(rabbitmq_url.replace("amqp://", "postgresql://", 1))  # any URL parser will do
    env = shop_environment()
    env.update(
        SHOP_DATABASE_URL=database_url,
        RASA_TRACKER_DB_HOST=admin.host or "127.0.0.1",
        RASA_TRACKER_DB_PORT=str(admin.port or 5432),
        RASA_TRACKER_DB_NAME=tracker_db,
        RASA_TRACKER_DB_USER=admin.username or "postgres",
        RASA_TRACKER_DB_PASSWORD=admin.password or "",
        RASA_TRACKER_LOGIN_DB=admin.database or "postgres",
        RASA_LOCK_STORE_URL=redis_url,
        RASA_LOCK_KEY_PREFIX=key_prefix,
        RASA_LOCK_LEASE_SECONDS=str(LOCK_LEASE_SECONDS),
        RABBITMQ_HOST=rabbit.host or "127.0.0.1",
        RABBITMQ_PORT=str(rabbit.port or 5672),
        RABBITMQ_USER=rabbit.username or "guest",
        RABBITMQ_PASSWORD=rabbit.password or "guest",
        RASA_EVENTS_QUEUE=events_queue,
        REDIS_URL=redis_url,
        SHOP_SWEEP_SECONDS="1",
        # A sweeper killed holding a notice gives it up after this lease; failed pushes retry after 2 s, 4 s, ...
        SHOP_NOTICE_LEASE_SECONDS=str(NOTICE_LEASE_SECONDS),
        SHOP_NOTICE_RETRY_SECONDS="2",
        LOG_LEVEL="INFO",
    )
    return env


@contextmanager
def deployment(tmp_dir: Path, *, behind_nginx: bool = False) -> Iterator[Production]:
    """2 Rasa + 2 bot servers on fresh databases, Redis keys and a RabbitMQ queue of their own; all
    removed afterwards.

    Paired (default, the fault suite): bot server i talks to Rasa i, and Rasa i calls actions on bot
    server i+1 (deploy.run_replicas.plan_replicas(pair_directly=True)). Behind nginx (the chaos run):
    deploy/nginx.conf in front, as in docs/production.md; shoppers use `public_url`, bot servers reach Rasa
    and Rasa reaches the actions through nginx's internal listener, balanced over whichever replicas are up.
    """
    admin_url = require_postgres()
    redis_url = require_redis()
    rabbitmq_url = require_rabbitmq()
    suffix = uuid.uuid4().hex[:10]
    tracker_db, events_queue, key_prefix = f"rasatracker_{suffix}", f"rasa_events_{suffix}", f"t{suffix}"
    rasa_ports, bot_ports = [free_port(), free_port()], [free_port(), free_port()]
    with ExitStack() as stack:
        public_url = None
        if behind_nginx:
            internal = free_port()
            public_url = stack.enter_context(running_nginx(tmp_dir / "nginx", rasa_ports, bot_ports, internal))
        database_url = stack.enter_context(fresh_postgres_database(admin_url, prefix="shopprod"))
        twilio = stack.enter_context(FakeTwilio(auth_token=TWILIO_AUTH_TOKEN))
        env = production_env(database_url, tracker_db, events_queue, key_prefix, redis_url, rabbitmq_url)
        env.update(
            TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN=TWILIO_AUTH_TOKEN, TWILIO_SMS_FROM=SHOP_SMS_NUMBER,
            TWILIO_API_BASE=twilio.base_url,
        )
        if behind_nginx:
            env.update(
                ACTION_ENDPOINT_URL=f"http://127.0.0.1:{internal}/webhook", RASA_URL=f"http://127.0.0.1:{internal}",
                SHOP_PUBLIC_URL=str(public_url), SANIC_PROXIES_COUNT="1",  # as deploy/production.env.example
            )
        prepare_database(env)
        replicas = plan_replicas(
            ensure_model(), env, rasa_ports, bot_ports, log_dir=tmp_dir / "logs", pair_directly=not behind_nginx,
        )
        shop = Shop(Settings(database_url=database_url))
        replicas.start()
        try:
            # Two Rasa replicas load their models at once; on 2 busy cores that can take minutes.
            replicas.wait_until_ready(timeout=480)
            yield Production(
                replicas, shop, env, str(make_url(admin_url).set(database=tracker_db)), events_queue, rabbitmq_url, twilio,
                public_url,
            )
        except Exception:
            for replica in replicas.replicas.values():
                print(f"----- {replica.name} -----\n{replica.log_tail(6000)}")
            raise
        finally:
            replicas.stop()
            shop.close()
            drop_database(admin_url, tracker_db)
            _delete_keys(redis_url, f"{key_prefix}:*")
            _delete_queue(rabbitmq_url, events_queue)


@pytest.fixture(scope="package")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    """The fault suite's deployment, paired, shared by the folder's tests."""
    with deployment(tmp_path_factory.mktemp("production")) as running:
        yield running


def _delete_keys(redis_url: str, pattern: str) -> None:
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(pattern))
    if keys:
        client.delete(*keys)


def _delete_queue(rabbitmq_url: str, queue: str) -> None:
    import asyncio

    import aio_pika

    async def delete() -> None:
        connection = await aio_pika.connect(rabbitmq_url)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue)

    try:
        asyncio.run(delete())
    except Exception as error:  # noqa: BLE001 - clean-up only; the queue name is unique to this run
        print(f"could not delete RabbitMQ queue {queue}: {error}")
