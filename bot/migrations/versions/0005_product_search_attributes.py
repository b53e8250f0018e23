"""product attributes for browsing: audience, tags, sleeps, volume

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 04:00:00

"warm jacket for a kid" and "tent for 4 people" are searched on what a product is for and holds, not
only on its name: products get an audience (adults or kids), free search tags, how many a tent sleeps
and how many litres a bag holds. Existing rows become adult products without tags.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.String(length=20), nullable=False, server_default='adults'))
        batch_op.add_column(sa.Column('tags', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('sleeps', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('volume_l', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('volume_l')
        batch_op.drop_column('sleeps')
        batch_op.drop_column('tags')
        batch_op.drop_column('audience')
