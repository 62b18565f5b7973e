"""customer profile fields and tags

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12

The profile fields (gender, birth date, locale, marketing consent, metadata) on ``customers``, existing customers
getting no consent and empty metadata; tags as rows of ``customer_tags``, one per (customer, lowercased name),
indexed by (store, name) for the tag filter and counts; indexes for the first-name sort and the consent filter.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gender', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=35), nullable=True))
        batch_op.add_column(
            sa.Column('accepts_marketing', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column('metadata', JSON_TYPE, server_default=sa.text("'{}'"), nullable=False))
        batch_op.create_index(batch_op.f('ix_customers_store_id_first_name_id'), ['store_id', 'first_name', 'id'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_customers_store_id_accepts_marketing_created_at_id'),
            ['store_id', 'accepts_marketing', 'created_at', 'id'],
            unique=False,
        )

    op.create_table('customer_tags',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name_key', sa.String(length=80), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_tags_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_customer_tags_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', 'name_key', name=op.f('pk_customer_tags'))
    )
    with op.batch_alter_table('customer_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_tags_store_id_name_key_customer_id'), ['store_id', 'name_key', 'customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customer_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_tags_store_id_name_key_customer_id'))

    op.drop_table('customer_tags')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_store_id_accepts_marketing_created_at_id'))
        batch_op.drop_index(batch_op.f('ix_customers_store_id_first_name_id'))
        batch_op.drop_column('metadata')
        batch_op.drop_column('accepts_marketing')
        batch_op.drop_column('locale')
        batch_op.drop_column('birth_date')
        batch_op.drop_column('gender')
