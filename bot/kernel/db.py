"""Engine and session factories. Nothing connects at import time: callers build what they need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

READ_ONLY_OPTION = "shop_read_only"


def build_engine(database_url: str, *, echo: bool = False) -> Engine:
    """Creates an engine for SQLite (the embedded default) or PostgreSQL.

    SQLite gets WAL mode and a busy timeout so the Rasa process, the bot server and their threads can
    write the same file without "database is locked" errors under ordinary load.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        pooling: dict[str, object] = {}
        if ensure_sqlite_directory(database_url):
            # SQLAlchemy 1.4 opens a new SQLite connection (and its PRAGMAs) per session by default.
            pooling = {"poolclass": QueuePool, "pool_size": 5, "max_overflow": 10}
        engine = create_engine(
            url,
            future=True,
            echo=echo,
            connect_args={"timeout": 30, "check_same_thread": False},
            **pooling,
        )
        event.listen(engine, "connect", _configure_sqlite_connection)
        # pysqlite's own transaction handling defers BEGIN and breaks SERIALIZABLE-style reasoning;
        # emit BEGIN IMMEDIATE ourselves so a writer takes the lock up front instead of deadlocking.
        # Read-only units of work (engine.execution_options(read_only=True)) begin DEFERRED instead:
        # in WAL mode they read a snapshot and never wait for the write lock.
        event.listen(engine, "begin", _begin)
        return engine
    return create_engine(url, future=True, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def ensure_sqlite_directory(database_url: str) -> bool:
    """Creates the folder of a SQLite database file (a fresh checkout has no var/); True for a file database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return False
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return True


def _configure_sqlite_connection(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # autocommit at the driver; SQLAlchemy emits BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin(connection) -> None:  # type: ignore[no-untyped-def]
    read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
    connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def build_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker:
    bind = engine.execution_options(**{READ_ONLY_OPTION: True}) if read_only else engine
    return sessionmaker(bind=bind, future=True, expire_on_commit=False, class_=Session)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def insert_if_absent(session: Session, model: Any, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row.

    Atomic on both databases, so two workers racing on the same key never both "win".
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1
