"""order language: the conversation's language is kept on the order

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 23:50:00

A pay link opened from an SMS comes with no browser language the shop can trust (and no chat cookie), so
the pay page spoke English to an Indonesian or Finnish shopper. Orders now keep the language the
conversation was in when they were placed. Older orders keep a null: their pages fall back as before
(the browser's language among the market's, then the market's own).
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('language')
