from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdType
from storegraph.platform.timestamps import utcnow


class Job(Base):
    """A unit of background work in the database queue (db/queries/jobs.py), the embedded default's backend.

    A job is due when ``run_at`` has passed and nobody holds it (``locked_until`` unset or past): a worker that
    crashed while holding it loses it when its lease runs out, and another worker runs it again.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index(None, "run_at", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
