"""turn effects: side effects already done for an inbound message

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 15:30:00

A shopper's message can be handled twice: a turn whose process died after the action committed is
handled again with the same inbound message id. One row per (conversation, message id, effect) is
written in the same transaction as the effect (a basket add, an order), so the second handling finds
it and does not add or order again; `result` keeps what the first one made (an order reference).
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'turn_effects',
        sa.Column('key', sa.String(length=400), nullable=False),
        sa.Column('result', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index('ix_turn_effects_created_at', 'turn_effects', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_turn_effects_created_at', table_name='turn_effects')
    op.drop_table('turn_effects')
