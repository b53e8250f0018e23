"""What every table shares: the declarative base with named constraints, id and money column types, UTC timestamps."""

from __future__ import annotations


from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData
from sqlalchemy.orm import declarative_base


# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

# SQLite only auto-increments INTEGER PRIMARY KEY; BigInteger elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# Money in minor units is 64-bit: Rp 25.000.000 is 2.5 billion sen, past a 32-bit column.
Money = BigInteger



def ts(**kwargs: object) -> Column:
    """A timezone-aware UTC timestamp column."""
    return Column(DateTime(timezone=True), **kwargs)

