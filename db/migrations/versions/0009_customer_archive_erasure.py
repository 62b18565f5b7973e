"""customers: archived_at and erased_at, and the keyset indexes split into live and archived partial indexes

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-10

Every customer list shows either the live customers (``archived_at IS NULL``, the default) or the archived ones.
Each (store_id, sort column, id) index becomes two partial indexes, one per condition: a row is in exactly one,
so writes cost what they did, and both lists stay index ranges without a sort step.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SORT_COLUMNS = ('created_at', 'updated_at', 'total_spent', 'total_orders', 'last_order_at', 'first_name')
CONDITIONS = {'live': 'archived_at IS NULL', 'archived': 'archived_at IS NOT NULL'}


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(), nullable=True))
        for column in SORT_COLUMNS:
            batch_op.drop_index(batch_op.f(f'ix_customers_store_id_{column}_id'))
    for column in SORT_COLUMNS:
        for state, condition in CONDITIONS.items():
            op.create_index(
                f'ix_customers_{state}_store_id_{column}_id',
                'customers',
                ['store_id', column, 'id'],
                unique=False,
                postgresql_where=sa.text(condition),
                sqlite_where=sa.text(condition),
            )


def downgrade() -> None:
    for column in SORT_COLUMNS:
        for state in CONDITIONS:
            op.drop_index(f'ix_customers_{state}_store_id_{column}_id', table_name='customers')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        for column in SORT_COLUMNS:
            batch_op.create_index(batch_op.f(f'ix_customers_store_id_{column}_id'), ['store_id', column, 'id'], unique=False)
        batch_op.drop_column('erased_at')
        batch_op.drop_column('archived_at')
