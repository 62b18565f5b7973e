from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Result, Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.models import ApiKey, Store
from db.queries.by_ids import RowsByIds
from db.queries.executor import Executor
from db.queries.pagination import Ordering, page_query
from db.session import single_statement_reads, write_transaction
from storegraph.platform.auth.key_format import KeyEnv, KeyType, issue_key
from storegraph.platform.auth.scopes import PUBLIC_KEY_SCOPES, Scope

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


api_keys_by_ids = RowsByIds(API_KEY_COLUMNS, ApiKey.store_id, ApiKey.id)


# What authentication needs of a key's store, selected with the key in one query.
_STORE_COLUMNS = (
    Store.name.label("store_name"),
    Store.plan.label("store_plan"),
    Store.phone_region.label("store_phone_region"),
)


async def _key_with_store(db: Executor, key_id: str, *key_columns: Any) -> Row[Any] | None:
    stmt = select(*key_columns, *_STORE_COLUMNS).join(Store, Store.id == ApiKey.store_id).where(ApiKey.key_id == key_id)
    result: Result[Any] = await db.execute(stmt)
    return result.first()


async def find_key_for_auth(db: Executor, key_id: str) -> Row[Any] | None:
    """The key with its store's name and plan: everything authentication needs, in one query.

    A Core select: the auth middleware runs it on a bare connection, without an ORM session's overhead."""
    return await _key_with_store(
        db,
        key_id,
        ApiKey.id,
        ApiKey.key_id,
        ApiKey.type,
        ApiKey.env,
        ApiKey.scopes,
        ApiKey.secret_hash,
        ApiKey.revoked_at,
        ApiKey.store_id,
    )


async def find_public_key(db: Executor, key_id: str) -> Row[Any] | None:
    """The key with its signing secret, allowed origins and store: all a signed request needs, in one query.

    Any key type is returned so the caller can refuse a platform key's id explicitly."""
    return await _key_with_store(
        db,
        key_id,
        ApiKey.id,
        ApiKey.key_id,
        ApiKey.type,
        ApiKey.env,
        ApiKey.signing_secret,
        ApiKey.allowed_origins,
        ApiKey.revoked_at,
        ApiKey.store_id,
    )


# --- writes ---


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
    """Stores a new key and returns it with the full key string, which is never retrievable again.

    A public key's row carries its signing secret and always holds exactly the public scopes, whatever ``scopes``
    says: what it may do does not depend on each caller getting that right."""
    issued = issue_key(key_type, env)
    public = key_type is KeyType.PUBLIC
    key = ApiKey(
        store_id=store_id,
        key_id=issued.key_id,
        type=key_type.value,
        env=env.value,
        name=name,
        scopes=sorted(PUBLIC_KEY_SCOPES) if public else [scope.value for scope in scopes],
        secret_hash=issued.secret_hash,
        signing_secret=issued.signing_secret,
        allowed_origins=(allowed_origins or []) if public else [],
    )
    session.add(key)
    await session.flush()
    return key, issued.token


async def touch_last_used(db: Executor, key_pk: int, when: datetime) -> None:
    await db.execute(update(ApiKey).where(ApiKey.id == key_pk).values(last_used_at=when))


async def lock_api_key(session: AsyncSession, store_id: int, key_pk: int) -> ApiKey | None:
    """The store's key as an ORM entity, locked until the transaction ends (PostgreSQL), for revoking it: two
    revokes at once take turns, so the second sees the first one's time and keeps it."""
    stmt = select(ApiKey).where(ApiKey.id == key_pk, ApiKey.store_id == store_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


class KeyDirectory:
    """Authentication's view of the keys (storegraph/platform/auth/directory.py): each lookup is one Core select on a
    bare connection, in autocommit on PostgreSQL (one round trip, no ORM session); a last use is written in a
    transaction of its own, so the lookup's stays read-only."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reader = single_statement_reads(engine)

    async def platform_key(self, key_id: str) -> Row[Any] | None:
        async with self._reader.connect() as connection:
            return await find_key_for_auth(connection, key_id)

    async def public_key(self, key_id: str) -> Row[Any] | None:
        async with self._reader.connect() as connection:
            return await find_public_key(connection, key_id)

    async def record_use(self, key_pk: int, when: datetime) -> None:
        async with write_transaction(self._engine) as connection:
            await touch_last_used(connection, key_pk, when)
