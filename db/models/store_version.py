from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType

# Below PostgreSQL's default of 100: the rows are a few per store and every write updates one of them, so each
# page keeps room for the new versions beside the old (HOT updates), and a page is pruned of the dead ones as soon
# as its free space falls under what the fillfactor leaves, long before it is full.
VERSION_FILLFACTOR = 25


class StoreVersion(Base):
    """One of a store's version counters (db/queries/store_versions.py): the store's data version is the sum of
    its rows. Every transaction that writes the store's data adds one to the row of the shard its database
    connection was given, so concurrent writers update different rows instead of all waiting on one."""

    __tablename__ = "store_versions"
    __table_args__ = ({"postgresql_with": {"fillfactor": VERSION_FILLFACTOR}},)

    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
