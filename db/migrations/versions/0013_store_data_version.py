"""the store's data version, for conditional GETs

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

``stores.data_version``, raised in the same transaction by every write to the store's data, so that a /v1 GET
whose ETag was made at the current version is answered 304 without running it (docs/rest.md).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


# ALTER TABLE on SQLite too, never a batch operation's copy of ``stores`` into a new table: dropping the old one,
# with foreign keys on, deletes every row that refers to a store with ON DELETE CASCADE (a batch copies the table
# for any default given as an SQL expression, hence the plain string).
def upgrade() -> None:
    op.add_column('stores', sa.Column('data_version', sa.BigInteger(), server_default='0', nullable=False))


def downgrade() -> None:
    op.drop_column('stores', 'data_version')
