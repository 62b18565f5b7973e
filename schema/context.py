"""The per-request GraphQL context: who is asking, the request's database handle and its DataLoaders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import strawberry
from sqlalchemy import Executable, Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.session import begin_write
from middleware.principal import Principal
from resolvers.cursors import CursorCodec
from resolvers.loaders import Loaders
from storegraph.settings import Settings


class RequestDatabase:
    """One session and transaction per request, opened on first use.

    graphql-core resolves sibling fields concurrently, and one connection runs one statement at a time, so
    statements are serialised with a lock; DataLoaders keep the number of statements small anyway.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessionmaker()
        return self._session

    async def write_session(self) -> AsyncSession:
        """The session, its transaction begun as a writing one (SQLite: BEGIN IMMEDIATE) if not begun yet."""
        if self._session is None:
            self._session = self._sessionmaker()
            await begin_write(self._session)
        return self._session

    async def execute(self, statement: Executable) -> Result[Any]:
        async with self._lock:
            return await self.session.execute(statement)

    async def finish(self, *, commit: bool) -> None:
        if self._session is None:
            return
        try:
            if commit:
                await self._session.commit()
            else:
                await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None


@dataclass(slots=True)
class Context:
    principal: Principal
    db: RequestDatabase
    settings: Settings
    cursors: CursorCodec
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db, self.principal.store_id)

    @property
    def store_id(self) -> int:
        return self.principal.store_id


Info: TypeAlias = strawberry.Info[Context, None]
