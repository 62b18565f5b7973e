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


def upgrade() -> None:
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_version', sa.BigInteger(), server_default=sa.text('0'), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_column('data_version')
