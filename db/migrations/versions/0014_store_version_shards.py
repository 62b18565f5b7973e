"""the store's data version as counters per shard

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

``store_versions``: a store's data version is the sum of its counters, one per shard, and a write raises the
counter of its database connection's shard instead of ``stores.data_version``, the one row every writer of the
store updated (db/queries/store_versions.py). ``stores.data_version`` stays: the version read adds it to the
shards' sum, so the versions, and the ETags made from them, go on from where they were, and the processes of the
release before, which a rollout runs beside this one's (docs/deploy.md), still raise a version this release reads.
A later release drops it, once no running release writes it.
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


def downgrade() -> None:
    op.execute(
        'UPDATE stores SET data_version = data_version + '
        '(SELECT coalesce(sum(version), 0) FROM store_versions WHERE store_versions.store_id = stores.id)'
    )
    op.drop_table('store_versions')
