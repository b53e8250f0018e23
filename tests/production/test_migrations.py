"""Alembic migrations run the same on SQLite and PostgreSQL, and carry existing data forward."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Boolean, DateTime, Integer, MetaData, Numeric, Table, create_engine, inspect, text
from sqlalchemy.engine import Connection

from bot.cli.commands import alembic_config
from bot.kernel.models import Base
from tests.support.databases import fresh_postgres_database

pytestmark = pytest.mark.production

NOW = datetime(2030, 5, 6, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def insert_old_row(connection: Connection, table_name: str, **values: object) -> None:
    """Inserts a row into a table as the old schema has it, filling its other required columns.

    The columns are read from the database, not from bot.kernel.models, so the row fits the old revision.
    """
    table = Table(table_name, MetaData(), autoload_with=connection)
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        if column.primary_key and isinstance(column.type, Integer):
            continue  # autoincrement
        row[column.name] = _neutral_value(column.type)
    connection.execute(table.insert().values(**row))


def _neutral_value(column_type: object) -> object:
    if isinstance(column_type, DateTime):
        return NOW
    if isinstance(column_type, Boolean):
        return True
    if isinstance(column_type, (Integer, Numeric)):
        return 0
    if isinstance(column_type, JSON):
        return {}
    return "x"


def test_the_revisions_form_one_line_with_a_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert len(revisions()) >= 1


def test_upgrading_to_head_gives_exactly_the_models_schema(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")
    engine = create_engine(database_url, future=True)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": False}), Base.metadata)
        assert differences == []
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_an_old_schema_with_data_is_upgraded_and_keeps_its_data(database_url: str) -> None:
    config = alembic_config(database_url)
    first = revisions()[0]
    command.upgrade(config, first)  # the oldest schema a retailer can be running
    engine = create_engine(database_url, future=True)
    try:
        with engine.begin() as connection:
            insert_old_row(connection, "stores", id="leeds", name="Fellside Leeds", safety_buffer=1)
            insert_old_row(connection, "products", id="P-1", name="Trail Jacket")
            insert_old_row(connection, "variants", sku="JKT-1", product_id="P-1", price_minor=8999, currency="GBP")
            insert_old_row(connection, "inventory", store_id="leeds", sku="JKT-1", on_hand=7, reserved=2)
            insert_old_row(connection, "chat_messages", conversation_id="web-x", author="user", text="is the jacket in stock?")
            # Baskets were keyed by conversation: one shopper's SMS and WhatsApp baskets, and an anonymous web one.
            insert_old_row(connection, "variants", sku="JKT-2", product_id="P-1", price_minor=8999, currency="GBP")
            insert_old_row(connection, "customers", id=7, phone="+447700900123")
            for channel in ("sms", "whatsapp"):
                conversation = f"{channel}:+447700900123"
                insert_old_row(connection, "channel_identities", customer_id=7, channel=channel,
                               external_id="+447700900123", conversation_id=conversation)
                insert_old_row(connection, "cart_lines", conversation_id=conversation, sku="JKT-1", quantity=2)
            insert_old_row(connection, "cart_lines", conversation_id="whatsapp:+447700900123", sku="JKT-2", quantity=1)
            insert_old_row(connection, "cart_lines", conversation_id="web-x", sku="JKT-1", quantity=1)

        command.upgrade(config, "head")
        command.upgrade(config, "head")  # running it again is a no-op

        with engine.connect() as connection:
            assert connection.execute(text("SELECT on_hand, reserved FROM inventory WHERE sku = 'JKT-1'")).one() == (7, 2)
            assert connection.execute(text("SELECT price_minor, currency, product_id FROM variants WHERE sku = 'JKT-1'")).one() == (8999, "GBP", "P-1")
            assert connection.execute(text("SELECT name, safety_buffer FROM stores")).one() == ("Fellside Leeds", 1)
            assert connection.execute(text("SELECT text FROM chat_messages")).scalar_one() == "is the jacket in stock?"
            baskets = connection.execute(text("SELECT owner_key, sku, quantity FROM cart_lines ORDER BY owner_key, sku")).all()
            assert [tuple(row) for row in baskets] == [("customer:7", "JKT-1", 4), ("customer:7", "JKT-2", 1), ("web-x", "JKT-1", 1)]
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert version == revisions()[-1]
    finally:
        engine.dispose()


def test_orders_gain_a_language_that_older_orders_lack(database_url: str) -> None:
    """0009: the conversation's language is kept on new orders; orders placed before it keep a null (their
    pages fall back to the browser's and the market's language), and going back down drops only the column."""
    config = alembic_config(database_url)
    command.upgrade(config, "0008")
    engine = create_engine(database_url, future=True)
    try:
        with engine.begin() as connection:
            insert_old_row(connection, "stores", id="leeds", name="Fellside Leeds", safety_buffer=1)
            insert_old_row(connection, "orders", reference="FS-OLD001", store_id="leeds", status="pending_payment",
                           payment_method="link", currency="GBP", total_minor=8999, conversation_id="sms:+447700900123")

        command.upgrade(config, "head")
        with engine.begin() as connection:
            insert_old_row(connection, "orders", reference="FS-NEW001", store_id="leeds", status="pending_payment",
                           payment_method="link", currency="GBP", total_minor=8999, conversation_id="sms:+447700900124", language="fi")
            languages = connection.execute(text("SELECT reference, language FROM orders ORDER BY reference")).all()
        assert [tuple(row) for row in languages] == [("FS-NEW001", "fi"), ("FS-OLD001", None)]

        command.downgrade(config, "0008")
        with engine.connect() as connection:
            assert "language" not in {column["name"] for column in inspect(connection).get_columns("orders")}
            assert connection.execute(text("SELECT count(*) FROM orders")).scalar_one() == 2
    finally:
        engine.dispose()
