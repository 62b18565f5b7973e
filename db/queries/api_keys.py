from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Result, Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ApiKey, Store
from db.queries.executor import Executor
from db.queries.pagination import Ordering, page_query
from domain.api_keys import KeyEnv, KeyType, new_key_row
from domain.scopes import Scope

# What the API shows of a key: never the secret's hash, nor a public key's signing secret.
API_KEY_COLUMNS = tuple(column for column in ApiKey.__table__.c if column.key not in ("secret_hash", "signing_secret"))
NEWEST_API_KEYS = Ordering(
    name="api_keys.created_at:desc", column=ApiKey.created_at, id_column=ApiKey.id, descending=True, kind=datetime
)


async def list_api_keys(db: Executor, store_id: int, after: list[Any] | None, first: int) -> list[Row[Any]]:
    """The store's keys, revoked ones included, newest first."""
    stmt = select(*API_KEY_COLUMNS).where(ApiKey.store_id == store_id)
    return list((await db.execute(page_query(stmt, NEWEST_API_KEYS, after, first))).all())


async def count_api_keys(db: Executor, store_id: int) -> int:
    stmt = select(func.count()).select_from(ApiKey).where(ApiKey.store_id == store_id)
    return int((await db.execute(stmt)).scalar_one())


async def api_keys_by_ids(db: Executor, store_id: int, ids: list[int]) -> list[Row[Any]]:
    stmt = select(*API_KEY_COLUMNS).where(ApiKey.store_id == store_id, ApiKey.id.in_(ids))
    return list((await db.execute(stmt)).all())


async def find_key_for_auth(db: Executor, key_id: str) -> Row[Any] | None:
    """The key with its store's name and plan: everything authentication needs, in one query.

    A Core select: the auth middleware runs it on a bare connection, without an ORM session's overhead."""
    result: Result[Any] = await db.execute(
        select(
            ApiKey.id,
            ApiKey.key_id,
            ApiKey.type,
            ApiKey.env,
            ApiKey.scopes,
            ApiKey.secret_hash,
            ApiKey.revoked_at,
            ApiKey.store_id,
            Store.name.label("store_name"),
            Store.plan.label("store_plan"),
            Store.phone_region.label("store_phone_region"),
        )
        .join(Store, Store.id == ApiKey.store_id)
        .where(ApiKey.key_id == key_id)
    )
    return result.first()


async def create_api_key(
    session: AsyncSession,
    *,
    store_id: int,
    key_type: KeyType,
    env: KeyEnv,
    scopes: tuple[Scope, ...],
    name: str | None = None,
    allowed_origins: list[str] | None = None,
) -> tuple[ApiKey, str]:
    """Stores a new key and returns it with the full key string, which is never retrievable again."""
    key, token = new_key_row(
        store_id=store_id,
        key_type=key_type,
        env=env,
        scopes=scopes,
        name=name,
        allowed_origins=allowed_origins,
    )
    session.add(key)
    await session.flush()
    return key, token


async def touch_last_used(db: Executor, key_pk: int, when: datetime) -> None:
    await db.execute(update(ApiKey).where(ApiKey.id == key_pk).values(last_used_at=when))
