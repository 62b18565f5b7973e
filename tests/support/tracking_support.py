"""Helpers of the tracking tests: public keys, requests signed the way seed 004 describes (computed here with
hashlib and hmac, independently of storegraph/platform/auth/request_signature.py), and the jobs a store has in the
database queue."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Job, Store
from db.queries.keys import create_api_key
from storegraph.platform.auth.key_format import KeyEnv, KeyType


def seed_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Seed 004's scheme, as its Express handler computes it: hmac_sha256(secret, timestamp + "." + sha256(body))."""
    body_hash = hashlib.sha256(body).hexdigest()
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.{body_hash}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PublicKey:
    id: int
    key_id: str
    token: str
    signing_secret: str
    store_id: int


async def create_public_key(
    session: AsyncSession, store: Store, *, allowed_origins: list[str] | None = None, env: KeyEnv = KeyEnv.LIVE
) -> PublicKey:
    row, token = await create_api_key(
        session,
        store_id=store.id,
        key_type=KeyType.PUBLIC,
        env=env,
        scopes=(),
        name="site",
        allowed_origins=allowed_origins,
    )
    assert row.signing_secret is not None
    return PublicKey(id=row.id, key_id=row.key_id, token=token, signing_secret=row.signing_secret, store_id=store.id)


def body_bytes(payload: dict[str, Any] | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else orjson.dumps(payload)


def signed_headers(
    key: PublicKey, body: bytes, *, timestamp: int | None = None, origin: str | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-DZ-Key": key.token,
        "X-DZ-Timestamp": stamp,
        "X-DZ-Signature": seed_signature(key.signing_secret, stamp, body),
    }
    if origin is not None:
        headers["Origin"] = origin
    return headers


async def post_signed(
    client: httpx.AsyncClient,
    path: str,
    key: PublicKey,
    payload: dict[str, Any] | bytes,
    *,
    timestamp: int | None = None,
    origin: str | None = None,
) -> httpx.Response:
    body = body_bytes(payload)
    return await client.post(path, content=body, headers=signed_headers(key, body, timestamp=timestamp, origin=origin))


async def jobs_of_store(sessionmaker: async_sessionmaker[AsyncSession], store_id: int) -> list[Job]:
    """The store's jobs in the database queue (the app fixture's tests share one database: filtered by store)."""
    async with sessionmaker() as session:
        jobs = (await session.execute(select(Job).order_by(Job.id))).scalars().all()
    return [job for job in jobs if job.payload.get("store_id") == store_id]
