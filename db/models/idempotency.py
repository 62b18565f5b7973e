from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class IdempotencyRecord(Base):
    """One Idempotency-Key of one API key, when REDIS_URL is unset (db/queries/idempotency.py): the embedded
    default keeps its records here so that a retry after a restart still finds its answer.

    While the first request runs the row is its reservation (``owner`` set, no answer) and expires with the lease;
    once it finished the row holds the sealed answer (never in the clear: storegraph/platform/idempotency/
    sealing.py) and expires after the replay TTL.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (Index(None, "expires_at"),)

    # "<api key pk>:<Idempotency-Key>": a key is at most 255 characters.
    scope_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The running holder's random id; empty once the answer is kept.
    owner: Mapped[str] = mapped_column(String(16))
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime]
