"""Helpers of the mutation tests: reading a payload, its userErrors, and the database as committed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.base import Base


def result_of(payload: dict[str, Any], field: str) -> dict[str, Any]:
    """The mutation's payload, asserting the request had no GraphQL errors."""
    assert "errors" not in payload, payload
    data: dict[str, Any] = payload["data"][field]
    return data


def succeeded(payload: dict[str, Any], field: str) -> dict[str, Any]:
    """The mutation's payload, asserting it had no userErrors either."""
    data = result_of(payload, field)
    assert data["userErrors"] == [], data["userErrors"]
    return data


def user_errors(payload: dict[str, Any], field: str) -> list[tuple[str | None, str]]:
    """``(field, code)`` of each userError."""
    return [(error["field"], error["code"]) for error in result_of(payload, field)["userErrors"]]


def assert_insufficient_scope(payload: dict[str, Any], field: str, scope: str) -> None:
    assert payload["_status"] == 200, payload
    assert payload["data"] == {field: None}, payload
    [error] = payload["errors"]
    assert error["path"] == [field]
    assert error["extensions"]["code"] == "insufficient_scope"
    assert scope in error["message"]


async def snapshot(sessionmaker: async_sessionmaker[AsyncSession], model: type[Base], row_id: int) -> dict[str, Any]:
    """Every column of one row as committed (a fresh session, so nothing cached), or {} if it is gone."""
    async with sessionmaker() as session:
        row = await session.get(model, row_id)
        if row is None:
            return {}
        return {column.key: getattr(row, column.key) for column in model.__mapper__.column_attrs}


async def count_rows(sessionmaker: async_sessionmaker[AsyncSession], model: Any, store_id: int) -> int:
    async with sessionmaker() as session:
        stmt = select(func.count()).select_from(model).where(model.store_id == store_id)
        return int((await session.execute(stmt)).scalar_one())
