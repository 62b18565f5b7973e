from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from db.queries.stores import get_store
from resolvers.core.context import Context
from storegraph.platform.errors import NotFound
from storegraph.platform.limits.plans import Plan


@dataclass(frozen=True, slots=True)
class ViewerSource:
    key_id: str
    key_type: str
    env: str
    scopes: list[str]
    store_id: int
    store_name: str
    plan: str


def viewer(context: Context) -> ViewerSource:
    principal = context.principal
    return ViewerSource(
        key_id=principal.key_id,
        key_type=principal.key_type,
        env=principal.env,
        scopes=sorted(principal.scopes),
        store_id=principal.store_id,
        store_name=principal.store_name,
        plan=principal.plan,
    )


async def current_store(context: Context) -> Row[Any]:
    row = await get_store(context.db, context.store_id)
    if row is None:
        raise NotFound("Store", context.store_id)
    return row


def plan_limits(context: Context, plan_name: str) -> Plan:
    plan = context.settings.plans.get(plan_name)
    if plan is None:
        raise NotFound("Plan", plan_name)
    return plan
