"""baskets are owned by a customer when the conversation has one

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 05:30:00

A basket used to be keyed by conversation id. It is now keyed by its owner: `customer:<id>` when the
conversation belongs to a customer (every channel but an unlinked web chat), so SMS, WhatsApp and a linked
web chat share one basket. Existing lines move to their customer's key; lines of two conversations of one
customer for the same SKU are added together.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cart_lines', schema=None) as batch_op:
        batch_op.alter_column('conversation_id', new_column_name='owner_key',
               existing_type=sa.String(length=160), existing_nullable=False)
    connection = op.get_bind()
    owned = connection.execute(sa.text(
        "SELECT c.owner_key, c.sku, c.quantity, c.added_at, i.customer_id "
        "FROM cart_lines c JOIN channel_identities i ON i.conversation_id = c.owner_key"
    )).all()
    merged: dict[tuple[str, str], tuple[int, object]] = {}
    for old_key, sku, quantity, added_at, customer_id in owned:
        key = (f"customer:{customer_id}", sku)
        earlier = merged.get(key)
        merged[key] = (quantity + (earlier[0] if earlier else 0), min(added_at, earlier[1]) if earlier else added_at)
        connection.execute(sa.text("DELETE FROM cart_lines WHERE owner_key = :key AND sku = :sku"), {"key": old_key, "sku": sku})
    for (owner_key, sku), (quantity, added_at) in merged.items():
        connection.execute(
            sa.text("INSERT INTO cart_lines (owner_key, sku, quantity, added_at) VALUES (:owner, :sku, :quantity, :added_at)"),
            {"owner": owner_key, "sku": sku, "quantity": min(quantity, 20), "added_at": added_at},
        )


def downgrade() -> None:
    # Customer-owned baskets have no single conversation to return to; they are kept under their owner key.
    with op.batch_alter_table('cart_lines', schema=None) as batch_op:
        batch_op.alter_column('owner_key', new_column_name='conversation_id',
               existing_type=sa.String(length=160), existing_nullable=False)
