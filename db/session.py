"""Engine and session factory. One engine per app object; sessions are opened per request by the caller."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def create_engine(database_url: str, *, pool_size: int = 40, echo: bool = False) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    # One pooled connection per concurrent request: a small pool queues requests and ruins tail latency.
    return create_async_engine(
        database_url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False
    )


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
