"""an index of a store's orders by customer and status, for customer analytics

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-20

Customer analytics aggregate a level of customers' orders by (customer, status) in one statement: with
(store_id, customer_id, status) the orders of those customers are an index range and the groups come in index
order, without reading the store's other orders or sorting.
"""
from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_orders_store_id_customer_id_status'), ['store_id', 'customer_id', 'status'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_store_id_customer_id_status'))
