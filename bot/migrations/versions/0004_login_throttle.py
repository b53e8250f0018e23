"""login throttle: recent attempts per (account, client address)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 04:00:00

One row per account and client address with the failures in the current window and when the next
attempt may be checked. Replaces counting failed-login audit rows per username, which refused the
right password too (anyone could lock an agent out) and overshot under concurrency.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_throttle',
        sa.Column('account', sa.String(length=120), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_attempt', sa.Float(), nullable=False),
        sa.Column('retry_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('account', 'client'),
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
