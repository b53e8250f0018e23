"""outbound retry index, longer provider ids, audit lookup index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:08:57.711018
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_actor_action_at', ['actor', 'action', 'at'], unique=False)

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column('provider_message_id',
               existing_type=sa.VARCHAR(length=80),
               type_=sa.String(length=200),
               existing_nullable=True)
        batch_op.create_index('ix_outbound_messages_status_next_attempt', ['status', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_messages_status_next_attempt')
        batch_op.alter_column('provider_message_id',
               existing_type=sa.String(length=200),
               type_=sa.VARCHAR(length=80),
               existing_nullable=True)

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_actor_action_at')

