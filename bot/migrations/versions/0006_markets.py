"""markets: stores belong to a market with its own prices; money columns are 64-bit

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 15:30:00

A second market (Jakarta, IDR) needs a place for its currency, locale, payment methods and pay-link
provider (markets), its own price list (market_prices) and a store -> market link. Existing stores keep
a null market and behave as before. IDR amounts in sen pass 2^31 (Rp 21.474.837), so every minor-unit
column becomes BIGINT.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_MONEY_COLUMNS = (
    ('variants', 'price_minor'),
    ('orders', 'total_minor'),
    ('order_lines', 'unit_price_minor'),
    ('payment_links', 'amount_minor'),
)


def upgrade() -> None:
    op.create_table(
        'markets',
        sa.Column('id', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('locale', sa.String(length=16), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('languages', sa.String(length=60), nullable=False),
        sa.Column('payment_methods', sa.String(length=200), nullable=False),
        sa.Column('link_provider', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_markets')),
    )
    op.create_table(
        'market_prices',
        sa.Column('market_id', sa.String(length=20), nullable=False),
        sa.Column('sku', sa.String(length=40), nullable=False),
        sa.Column('price_minor', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('price_minor >= 0', name=op.f('ck_market_prices_market_price_not_negative')),
        sa.ForeignKeyConstraint(['market_id'], ['markets.id'], name=op.f('fk_market_prices_market_id_markets'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sku'], ['variants.sku'], name=op.f('fk_market_prices_sku_variants'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('market_id', 'sku', name=op.f('pk_market_prices')),
    )
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('market_id', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_stores_market_id'), ['market_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_stores_market_id_markets'), 'markets', ['market_id'], ['id'])
    for table, column in _MONEY_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    for table, column in _MONEY_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stores_market_id_markets'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_stores_market_id'))
        batch_op.drop_column('market_id')
    op.drop_table('market_prices')
    op.drop_table('markets')
