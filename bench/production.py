"""Production mode for the bench: PostgreSQL tracker and commerce stores, the Redis lock store, RabbitMQ broker.

Two pairs of replicas (Rasa i + bot server i, Rasa i calling actions on bot server i) are started the way
the production tests start them (deploy/run_replicas.py, the environment of tests/production/conftest.py),
on databases, a queue and lock keys whose names are unique to this run (other work uses the same servers).
Two entry points (bench/entry.py) front them: one routes to pair 0 only ("1 replica"), the other to both
("2 replicas"), so both modes are measured on the same processes in the same minutes. Everything created
is removed again in `stop()`.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from deploy.run_replicas import ReplicaSet, plan_replicas
from scripts.shop_env import PROJECT_ROOT
from scripts.stack import answers, free_port

PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
PAIRS = 2
# Production's value (deploy/production.env.example); the production tests shorten it for their fault tests.
LOCK_LEASE_SECONDS = "10"


class ServicesMissing(RuntimeError):
    """PostgreSQL, Redis or RabbitMQ does not answer: production mode cannot be measured here."""


def services_problem() -> str | None:
    """Why production mode cannot run here, or None when PostgreSQL, Redis and RabbitMQ all answer."""
    from tests.production.services import RABBITMQ_URL, REDIS_URL, answers as port_answers
    from tests.support.databases import POSTGRES_ADMIN_URL

    for name, url, port in (("PostgreSQL", POSTGRES_ADMIN_URL, 5432), ("Redis", REDIS_URL, 6379), ("RabbitMQ", RABBITMQ_URL, 5672)):
        problem = port_answers(url.replace("postgresql+psycopg2://", "postgresql://"), port)
        if problem:
            return f"{name} does not answer: {problem}"
    return None


@dataclass
class Production:
    """The running replicas and entry points; `entry[n]` is the URL that fronts n replicas."""

    replicas: ReplicaSet
    env: dict[str, str]
    entry: dict[int, str] = field(default_factory=dict)
    entry_processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[IO[bytes]] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    _cleanup: list = field(default_factory=list)

    def rasa_url(self, index: int = 0) -> str:
        return self.replicas[f"rasa-{index}"].url

    def alive(self) -> bool:
        return all(replica.running() for replica in self.replicas.replicas.values()) and all(
            process.poll() is None for process in self.entry_processes)

    def pids(self) -> dict[str, int]:
        pids = {name: replica.process.pid for name, replica in self.replicas.replicas.items() if replica.process}
        pids.update({f"entry-{number}": process.pid for number, process in enumerate(self.entry_processes)})
        return pids

    def pair_pids(self, count: int) -> dict[str, int]:
        """The processes serving the entry point of `count` replicas: its pairs and that entry point."""
        pids = self.pids()
        names = [f"rasa-{index}" for index in range(count)] + [f"bot-{index}" for index in range(count)]
        return {name: pids[name] for name in names if name in pids} | {"entry": pids[f"entry-{0 if count == 1 else 1}"]}

    def log_tail(self) -> str:
        return "\n".join(f"----- {name} -----\n{replica.log_tail(3000)}" for name, replica in self.replicas.replicas.items())

    def stop(self) -> None:
        """Stops every process it started, then drops its databases, lock keys and queue."""
        for process in self.entry_processes:
            if process.poll() is None:
                process.terminate()
        self.replicas.stop()
        for process in self.entry_processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()
        for clean in reversed(self._cleanup):
            try:
                clean()
            except Exception as error:  # noqa: BLE001 - clean-up of names unique to this run; say and go on
                print(f"bench production clean-up: {error}")


def start_production(model: Path, log_dir: Path, extra_env: dict[str, str]) -> Production:
    """Creates the run's databases and starts two replica pairs and the two entry points (not yet ready).

    Raises:
        ServicesMissing: a service does not answer.
    """
    problem = services_problem()
    if problem:
        raise ServicesMissing(problem)
    from sqlalchemy.engine.url import make_url

    from tests.production.conftest import _delete_keys, _delete_queue, production_env
    from tests.production.services import RABBITMQ_URL, REDIS_URL
    from tests.support.databases import POSTGRES_ADMIN_URL, create_database, drop_database
    from tests.support.stack import prepare_database

    suffix = uuid.uuid4().hex[:10]
    tracker_db = f"benchtracker_{suffix}"
    queue, prefix = f"bench_events_{suffix}", f"bench{suffix}"
    cleanup: list = []
    database_url = create_database(POSTGRES_ADMIN_URL, "benchshop")
    shop_db = str(make_url(database_url).database)
    cleanup.append(lambda: drop_database(POSTGRES_ADMIN_URL, shop_db))
    cleanup.append(lambda: drop_database(POSTGRES_ADMIN_URL, tracker_db))  # Rasa creates it on first start
    cleanup.append(lambda: _delete_keys(REDIS_URL, f"{prefix}:*"))
    cleanup.append(lambda: _delete_queue(RABBITMQ_URL, queue))
    try:
        env = production_env(database_url, tracker_db, queue, prefix, REDIS_URL, RABBITMQ_URL)
        env.update(extra_env, LOG_LEVEL="WARNING", RASA_LOCK_LEASE_SECONDS=LOCK_LEASE_SECONDS, SHOP_SWEEP_SECONDS="5")
        prepare_database(env)
        rasa_ports, bot_ports = [free_port() for _ in range(PAIRS)], [free_port() for _ in range(PAIRS)]
        replicas = plan_replicas(model, env, rasa_ports, bot_ports, log_dir=log_dir)
        for index in range(PAIRS):  # pair i: bot server i forwards to Rasa i, which runs its actions on bot server i
            replicas[f"rasa-{index}"].env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{bot_ports[index]}/webhook"
            replicas[f"bot-{index}"].env["RASA_URL"] = f"http://127.0.0.1:{rasa_ports[index]}"
        production = Production(replicas, env, _cleanup=cleanup)
        replicas.start()
        for count in (1, PAIRS):
            port = free_port()
            log = open(log_dir / f"entry-{count}.log", "ab")
            production.logs.append(log)
            production.entry_processes.append(subprocess.Popen(
                [PYTHON, "-m", "bench.entry", "--port", str(port),
                 "--rasa", ",".join(f"http://127.0.0.1:{p}" for p in rasa_ports[:count]),
                 "--bots", ",".join(f"http://127.0.0.1:{p}" for p in bot_ports[:count])],
                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
            production.entry[count] = f"http://127.0.0.1:{port}"
        return production
    except BaseException:
        for clean in reversed(cleanup):
            clean()
        raise


def wait_ready(production: Production, timeout: float) -> None:
    """Waits until every replica and both entry points answer their health checks."""
    production.replicas.wait_until_ready(timeout=timeout)
    deadline = time.monotonic() + 30
    for url in production.entry.values():
        while not answers(f"{url}/health"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the bench entry point {url} did not answer")
            time.sleep(0.1)

