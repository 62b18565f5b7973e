"""loyalty points and house accounts as ledgers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-14

The balances on ``customers`` (loyalty points, on by default; the house account, off by default, with its
optional limit), existing customers starting at zero; and one ledger table per balance, a row per change, unique
per (order, kind) so an order earns, is charged and is credited back at most once.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ID_TYPE = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('loyalty_balance', sa.BigInteger(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('is_loyalty_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(
            sa.Column('is_house_account_enabled', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column('house_account_limit', sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column('house_account_balance', sa.BigInteger(), server_default=sa.text('0'), nullable=False)
        )

    for table, amount in (('loyalty_transactions', 'delta'), ('house_account_transactions', 'amount')):
        op.create_table(table,
        sa.Column('id', ID_TYPE, autoincrement=True, nullable=False),
        sa.Column('store_id', ID_TYPE, nullable=False),
        sa.Column('customer_id', ID_TYPE, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column(amount, sa.BigInteger(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('balance_after', sa.BigInteger(), nullable=False),
        sa.Column('order_id', ID_TYPE, nullable=True),
        sa.Column('actor_key_id', ID_TYPE, nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_key_id'], ['api_keys.id'], name=op.f(f'fk_{table}_actor_key_id_api_keys'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f(f'fk_{table}_customer_id_customers'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f(f'fk_{table}_order_id_orders'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f(f'fk_{table}_store_id_stores'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
        sa.UniqueConstraint('order_id', 'kind', name=op.f(f'uq_{table}_order_id_kind'))
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_customer_id_created_at_id'), ['customer_id', 'created_at', 'id'], unique=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_store_id'), ['store_id'], unique=False)


def downgrade() -> None:
    for table in ('house_account_transactions', 'loyalty_transactions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_store_id'))
            batch_op.drop_index(batch_op.f(f'ix_{table}_customer_id_created_at_id'))
        op.drop_table(table)
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('house_account_balance')
        batch_op.drop_column('house_account_limit')
        batch_op.drop_column('is_house_account_enabled')
        batch_op.drop_column('is_loyalty_enabled')
        batch_op.drop_column('loyalty_balance')
