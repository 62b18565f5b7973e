"""reviews: one per delivered order, with moderation flags and the merchant's response

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reviews',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('product_rating', sa.Integer(), nullable=True),
    sa.Column('delivery_rating', sa.Integer(), nullable=True),
    sa.Column('packaging_rating', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('is_approved', sa.Boolean(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('is_featured', sa.Boolean(), nullable=False),
    sa.Column('response_text', sa.Text(), nullable=True),
    sa.Column('responded_at', sa.DateTime(), nullable=True),
    sa.Column('responded_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('comment IS NULL OR length(comment) <= 2000', name=op.f('ck_reviews_comment_length')),
    sa.CheckConstraint('delivery_rating IS NULL OR delivery_rating BETWEEN 1 AND 5', name=op.f('ck_reviews_delivery_rating')),
    sa.CheckConstraint('packaging_rating IS NULL OR packaging_rating BETWEEN 1 AND 5', name=op.f('ck_reviews_packaging_rating')),
    sa.CheckConstraint('product_rating IS NULL OR product_rating BETWEEN 1 AND 5', name=op.f('ck_reviews_product_rating')),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_reviews_rating')),
    sa.CheckConstraint('response_text IS NULL OR length(response_text) <= 2000', name=op.f('ck_reviews_response_length')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_reviews_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_reviews_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['responded_by'], ['api_keys.id'], name=op.f('fk_reviews_responded_by_api_keys'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_reviews_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('order_id', name=op.f('uq_reviews_order_id'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_store_id_created_at_id'), ['store_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_store_id_customer_id_created_at_id'), ['store_id', 'customer_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_store_id_is_approved_created_at_id'), ['store_id', 'is_approved', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_store_id_rating_created_at_id'), ['store_id', 'rating', 'created_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_store_id_rating_created_at_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_store_id_is_approved_created_at_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_store_id_customer_id_created_at_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_store_id_created_at_id'))

    op.drop_table('reviews')
