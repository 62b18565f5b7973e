"""the store's data version as counters per shard

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

``store_versions``: a store's data version is the sum of its counters, one per shard, and a write raises the
counter of its database connection's shard instead of ``stores.data_version``, the one row every writer of the
store updated (db/queries/store_versions.py). Each store's version so far becomes its shard 0's counter, so the
versions, and the ETags made from them, go on from where they were.

On SQLite the column is dropped and added back with ALTER TABLE, never by copying ``stores`` into a new table:
dropping the old one, with foreign keys on, would delete every row that refers to a store with ON DELETE CASCADE.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

ID_TYPE = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('store_versions',
    sa.Column('store_id', ID_TYPE, nullable=False),
    sa.Column('shard', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(
        ['store_id'], ['stores.id'], name=op.f('fk_store_versions_store_id_stores'), ondelete='CASCADE'
    ),
    sa.PrimaryKeyConstraint('store_id', 'shard', name=op.f('pk_store_versions')),
    postgresql_with={'fillfactor': 25},
    )
    op.execute(
        'INSERT INTO store_versions (store_id, shard, version) '
        'SELECT id, 0, data_version FROM stores WHERE data_version > 0'
    )
    op.drop_column('stores', 'data_version')


def downgrade() -> None:
    op.add_column('stores', sa.Column('data_version', sa.BigInteger(), server_default='0', nullable=False))
    op.execute(
        'UPDATE stores SET data_version = '
        '(SELECT coalesce(sum(version), 0) FROM store_versions WHERE store_versions.store_id = stores.id)'
    )
    op.drop_table('store_versions')
