"""indexes for every keyset sort, and for the fraud heuristic's device lookup

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Each sort of a list is served by a (store_id, sort column, id) index, so a page is an index range scan instead of
a sort of the whole store's rows. ``ix_api_keys_store_id`` is replaced by (store_id, created_at, id), which serves
the same lookups by store and the apiKeys list's newest-first order.
"""
from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_store_id_updated_at_id'), ['store_id', 'updated_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_store_id_total_id'), ['store_id', 'total', 'id'], unique=False)

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_store_id_updated_at_id'), ['store_id', 'updated_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_store_id_price_id'), ['store_id', 'price', 'id'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_store_id_device_fingerprint'), ['store_id', 'device_fingerprint'], unique=False)

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_store_id_created_at_id'), ['store_id', 'created_at', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_api_keys_store_id'))


def downgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_store_id'), ['store_id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_api_keys_store_id_created_at_id'))

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_store_id_device_fingerprint'))

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_store_id_price_id'))
        batch_op.drop_index(batch_op.f('ix_products_store_id_updated_at_id'))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_store_id_total_id'))
        batch_op.drop_index(batch_op.f('ix_orders_store_id_updated_at_id'))
