from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow


class ApiKey(Base):
    """A platform or public key. Only a hash of a platform key's secret is stored."""

    __tablename__ = "api_keys"
    # The apiKeys list, newest first; it also serves every lookup by store (the store_id foreign key's cascade).
    __table_args__ = (Index(None, "store_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    # The public part of the key string (dzpk_live_<key_id>.<secret>); unique across stores.
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    env: Mapped[str] = mapped_column(String(8))
    name: Mapped[str | None] = mapped_column(String(100))
    scopes: Mapped[list[str]] = mapped_column(default=list)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    # A public key's HMAC signing secret (X-DZ-Signature): it must be readable to verify signatures, like a
    # webhook secret; shown to the merchant once. None for platform keys.
    signing_secret: Mapped[str | None] = mapped_column(String(80))
    allowed_origins: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
