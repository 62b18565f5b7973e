"""Delivery zone statements: a store's zones with their wilayas, checkout's fee lookup, and the zone writes.

A store has at most 58 zones (each holds at least one wilaya, and a wilaya is in one zone), so every read of
zones loads all of the store's at once: one statement, at most 58 wilaya rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import MultipleResultsFound
from sqlalchemy.ext.asyncio import AsyncSession

from db.direct_reads import PreparedRead
from db.models import DeliveryZone, ZoneWilaya
from db.queries.executor import Executor, core_rows
from db.queries.slugs import unique_constraint
from storegraph.platform.timestamps import utcnow

ZONE_NAME_CONSTRAINT = unique_constraint(DeliveryZone, "store_id", "name")
ZONE_WILAYA_CONSTRAINT = unique_constraint(ZoneWilaya, "store_id", "wilaya_id")


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone as the API shows it: its columns and its wilayas, ascending."""

    id: int
    name: str
    wilaya_ids: list[int]
    home_fee: int
    desk_fee: int
    created_at: datetime
    updated_at: datetime


async def store_zones(db: Executor, store_id: int) -> list[Zone]:
    """Every zone of the store, oldest first, each with its wilayas: one statement."""
    stmt = (
        select(
            DeliveryZone.id,
            DeliveryZone.name,
            DeliveryZone.home_fee,
            DeliveryZone.desk_fee,
            DeliveryZone.created_at,
            DeliveryZone.updated_at,
            ZoneWilaya.wilaya_id,
        )
        .outerjoin(ZoneWilaya, ZoneWilaya.zone_id == DeliveryZone.id)
        .where(DeliveryZone.store_id == store_id)
        .order_by(DeliveryZone.id, ZoneWilaya.wilaya_id)
    )
    zones: dict[int, Zone] = {}
    for row in (await db.execute(stmt)).all():
        zone = zones.get(row.id)
        if zone is None:
            zone = zones[row.id] = Zone(
                id=row.id,
                name=row.name,
                wilaya_ids=[],
                home_fee=row.home_fee,
                desk_fee=row.desk_fee,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
        if row.wilaya_id is not None:
            zone.wilaya_ids.append(row.wilaya_id)
    return list(zones.values())


async def zone_fees(session: AsyncSession, store_id: int, wilaya_id: int) -> tuple[int, int] | None:
    """``(home_fee, desk_fee)`` of the store's zone holding the wilaya, or ``None`` when no zone does."""
    rows = await core_rows(session, _ZONE_FEES, {"store_id": store_id, "wilaya_id": wilaya_id})
    if len(rows) > 1:  # a wilaya is in one zone of its store (as ``one_or_none`` checked it)
        raise MultipleResultsFound("Multiple rows were found when one or none was required")
    return None if not rows else (int(rows[0].home_fee), int(rows[0].desk_fee))


# Built once: every checkout runs it.
_ZONE_FEES = PreparedRead(
    select(DeliveryZone.home_fee, DeliveryZone.desk_fee)  # type: ignore[arg-type]  # any row type is a read's
    .join(ZoneWilaya, ZoneWilaya.zone_id == DeliveryZone.id)
    .where(ZoneWilaya.store_id == bindparam("store_id"), ZoneWilaya.wilaya_id == bindparam("wilaya_id"))
)


async def lock_zone(session: AsyncSession, store_id: int, zone_id: int) -> Any | None:
    stmt = (
        select(DeliveryZone.id, DeliveryZone.name)
        .where(DeliveryZone.id == zone_id, DeliveryZone.store_id == store_id)
        .with_for_update()
    )
    return (await session.execute(stmt)).one_or_none()


async def zone_id_named(session: AsyncSession, store_id: int, name: str) -> int | None:
    stmt = select(DeliveryZone.id).where(DeliveryZone.store_id == store_id, DeliveryZone.name == name)
    found = (await session.execute(stmt)).scalar_one_or_none()
    return None if found is None else int(found)


async def wilaya_holders(session: AsyncSession, store_id: int, wilaya_ids: list[int]) -> dict[int, tuple[int, str]]:
    """The wilayas of ``wilaya_ids`` some zone of the store holds: wilaya → (zone id, zone name)."""
    stmt = (
        select(ZoneWilaya.wilaya_id, DeliveryZone.id, DeliveryZone.name)
        .join(DeliveryZone, DeliveryZone.id == ZoneWilaya.zone_id)
        .where(ZoneWilaya.store_id == store_id, ZoneWilaya.wilaya_id.in_(wilaya_ids))
    )
    return {row.wilaya_id: (int(row.id), row.name) for row in (await session.execute(stmt)).all()}


async def insert_zone(session: AsyncSession, store_id: int, values: dict[str, Any]) -> int:
    now = utcnow()
    stmt = (
        insert(DeliveryZone)
        .values(store_id=store_id, created_at=now, updated_at=now, **values)
        .returning(DeliveryZone.id)
    )
    return int((await session.execute(stmt)).scalar_one())


async def update_zone_fields(session: AsyncSession, zone_id: int, values: dict[str, Any]) -> None:
    stmt = update(DeliveryZone).where(DeliveryZone.id == zone_id).values(updated_at=utcnow(), **values)
    await session.execute(stmt)


async def replace_zone_wilayas(session: AsyncSession, store_id: int, zone_id: int, wilaya_ids: list[int]) -> None:
    await session.execute(delete(ZoneWilaya).where(ZoneWilaya.zone_id == zone_id))
    rows = [{"store_id": store_id, "zone_id": zone_id, "wilaya_id": wilaya_id} for wilaya_id in wilaya_ids]
    await session.execute(insert(ZoneWilaya), rows)


async def delete_zone_row(session: AsyncSession, zone_id: int) -> None:
    # Its wilayas first: the foreign key's cascade is the database's, explicit here so it never depends on it.
    await session.execute(delete(ZoneWilaya).where(ZoneWilaya.zone_id == zone_id))
    await session.execute(delete(DeliveryZone).where(DeliveryZone.id == zone_id))


async def zones_by_ids(db: Executor, store_id: int, ids: list[int]) -> list[Zone]:
    wanted = set(ids)
    return [zone for zone in await store_zones(db, store_id) if zone.id in wanted]
