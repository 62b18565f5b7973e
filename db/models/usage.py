from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class UsageCounter(Base):
    """A monthly or daily count the limiter keeps when REDIS_URL is unset (db/queries/usage.py), so that quotas
    and usage survive a restart: a store's requests, signups and webhooks this month, a key's requests and its
    requests per endpoint this day and month. The per-minute window and counts stay in memory.
    """

    __tablename__ = "usage_counters"
    __table_args__ = (Index(None, "expires_at"),)

    # "key" (an API key's counts, ``owner_id`` its pk) or "store".
    owner: Mapped[str] = mapped_column(String(8), primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # "requests", "signups", "webhooks", or "endpoint <label>" (labels are of the server's making, a few hundred
    # characters at most: the root fields of one operation).
    counter: Mapped[str] = mapped_column(Text, primary_key=True)
    # "month:YYYYMM" or "day:YYYYMMDD" (UTC).
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    # Past its period (a month's a day after it ends, as in Redis): deleted by the limiter's periodic sweep.
    expires_at: Mapped[datetime]
