from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Result, Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ApiKey, Store
from domain.api_keys import KeyEnv, KeyType, issue_key
from domain.scopes import Scope


async def find_key_for_auth(session: AsyncSession, key_id: str) -> Row[Any] | None:
    """The key with its store's name and plan: everything authentication needs, in one query."""
    result: Result[Any] = await session.execute(
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
    issued = issue_key(key_type, env)
    key = ApiKey(
        store_id=store_id,
        key_id=issued.key_id,
        type=key_type.value,
        env=env.value,
        name=name,
        scopes=[scope.value for scope in scopes],
        secret_hash=issued.secret_hash,
        allowed_origins=allowed_origins or [],
    )
    session.add(key)
    await session.flush()
    return key, issued.token


async def touch_last_used(session: AsyncSession, key_pk: int, when: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_pk).values(last_used_at=when))
