"""funnel facts: the shopping funnel per day, counted from Rasa's events

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 19:00:00

One row per counted fact (a conversation on a day, a stock question, a basket add, an order, a payment,
a handoff), keyed so that an event delivered twice counts once (bot/funnel/facts.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'funnel_facts',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('stage', sa.String(length=40), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('conversation_id', sa.String(length=160), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_funnel_facts')),
    )
    op.create_index('ix_funnel_facts_day_stage', 'funnel_facts', ['day', 'stage'])


def downgrade() -> None:
    op.drop_index('ix_funnel_facts_day_stage', table_name='funnel_facts')
    op.drop_table('funnel_facts')
