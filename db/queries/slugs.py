"""Slugs: derived from a name, unique within their scope (a store's products, a store's landing pages, all stores).

Looking for a free slug and then inserting it is a race: two requests creating "Tapis" at once both find
``tapis`` free, and one insert fails on the unique constraint. ``insert_with_free_slug`` inserts in a savepoint
and, when the slug's own constraint is what failed, looks again and retries, so both requests succeed.
"""

from __future__ import annotations

import functools
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, UniqueConstraint, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from db.base import Base
from db.direct_writes import PreparedWrite
from db.queries.executor import WriteTransaction, core_write, dialect_of
from storegraph.platform.errors import Conflict

MAX_SLUG = 200
# Numbered candidates (tapis-2, tapis-3) read well, but under a burst of creations of one name every round of
# retries has a single winner; past these attempts a random suffix ends the contention.
NUMBERED_ATTEMPTS = 5
RANDOM_ATTEMPTS = 5

RowT = TypeVar("RowT", bound=Base)


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = MAX_SLUG) -> str:
    """Lowercase ASCII letters and digits in groups joined by single dashes ("Été Promo!" -> "ete-promo")."""
    # ASCII text is its own NFKD form: most names skip the normalisation and its round trip through bytes.
    ascii_text = (
        text if text.isascii() else unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    )
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:max_length].strip("-")


def unique_constraint(model: type[Base], *columns: str) -> UniqueConstraint:
    """The unique constraint of ``model``'s table over exactly ``columns`` (its name is the naming convention's)."""
    table = model.metadata.tables[model.__tablename__]
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and tuple(c.name for c in constraint.columns) == columns:
            return constraint
    raise LookupError(f"{table.name} has no unique constraint on {columns}")


def violates(error: IntegrityError, constraint: UniqueConstraint) -> bool:
    """Whether ``error`` is a violation of ``constraint`` (and not of another constraint of the table)."""
    # PostgreSQL (asyncpg) names the constraint; the message's DETAIL holds the values, which must not be matched.
    constraint_name = getattr(getattr(error.orig, "__cause__", None), "constraint_name", None)
    if constraint_name is not None:
        return bool(constraint_name == constraint.name)
    # SQLite names the columns: "UNIQUE constraint failed: products.store_id, products.slug".
    table = constraint.table.name
    columns = ", ".join(f"{table}.{column.name}" for column in constraint.columns)
    return str(error.orig) == f"UNIQUE constraint failed: {columns}"


async def free_slug(
    session: WriteTransaction,
    *,
    slug_column: QueryableAttribute[str],
    scope: Sequence[ColumnElement[bool]],
    wanted: str,
) -> str:
    """``wanted`` if no row of the scope has it, else the first free of ``wanted-2``, ``wanted-3``, ..."""
    # wanted contains no LIKE wildcard: slugs are letters, digits and dashes.
    stmt = select(slug_column).where(*scope, or_(slug_column == wanted, slug_column.like(f"{wanted}-%")))
    taken = set((await session.execute(stmt)).scalars())
    if wanted not in taken:
        return wanted
    suffix = 2
    while f"{wanted}-{suffix}" in taken:
        suffix += 1
    return f"{wanted}-{suffix}"


async def insert_with_free_slug(
    session: AsyncSession,
    build: Callable[[str], RowT],
    *,
    slug_column: QueryableAttribute[str],
    scope: Sequence[ColumnElement[bool]],
    wanted: str,
    constraint: UniqueConstraint,
) -> RowT:
    """Inserts ``build(slug)`` with a slug free in ``scope``, retrying when a concurrent insert took it first.

    ``wanted`` must be a valid, non-empty slug. Each attempt runs in a savepoint, so a lost race undoes only the
    attempt, not the caller's transaction. Any other integrity error (an SKU taken, say) is raised unchanged.
    """
    for attempt in range(NUMBERED_ATTEMPTS + RANDOM_ATTEMPTS):
        if attempt < NUMBERED_ATTEMPTS:
            slug = await free_slug(session, slug_column=slug_column, scope=scope, wanted=wanted)
        else:
            slug = f"{wanted}-{secrets.token_hex(3)}"
        row = build(slug)
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
        except IntegrityError as error:
            if not violates(error, constraint):
                raise
            continue  # taken since we looked (the other transaction has committed by now): look again
        return row
    raise Conflict("slug", f"No free slug for {wanted} after {NUMBERED_ATTEMPTS + RANDOM_ATTEMPTS} attempts")


async def insert_returning_with_free_slug(
    session: WriteTransaction,
    model: type[Base],
    values: Mapping[str, Any],
    *,
    slug_column: QueryableAttribute[str],
    scope: Callable[[], Sequence[ColumnElement[bool]]],
    wanted: str,
    constraint: UniqueConstraint,
    returning: Sequence[ColumnElement[Any]],
) -> Row[Any]:
    """Inserts ``values`` with a slug free in ``scope`` and answers the ``returning`` columns of the row, the slug
    being the one ``insert_with_free_slug`` would pick.

    ``wanted`` is tried first without looking: most names are new to their store, and then the insert is the only
    statement. A slug already taken (by an earlier or a concurrent insert) makes ``ON CONFLICT DO NOTHING`` insert
    nothing, without an error or a savepoint; the free one is then looked up as ``insert_with_free_slug`` does.
    Any other integrity error (an SKU taken, say) is raised unchanged, ending the caller's transaction or savepoint.
    ``scope`` builds the conditions of the lookup: only a taken slug needs them, and building a SQL expression
    (``Product.store_id == store_id``) cost a good part of a product's insert.
    """
    statement = _insert_unless_taken(
        dialect_of(session).name, model, tuple(column.name for column in constraint.columns), tuple(returning)
    )
    slug_name = slug_column.key
    if isinstance(session, AsyncSession):
        await session.flush()  # what the session holds goes first, as its own execute would do
    for attempt in range(NUMBERED_ATTEMPTS + RANDOM_ATTEMPTS + 1):
        if attempt == 0:
            slug = wanted
        elif attempt <= NUMBERED_ATTEMPTS:
            slug = await free_slug(session, slug_column=slug_column, scope=scope(), wanted=wanted)
        else:
            slug = f"{wanted}-{secrets.token_hex(3)}"
        # On the session's connection: a Core statement, kept out of the ORM's bulk-insert handling.
        rows = await core_write(session, statement, {**values, slug_name: slug})
        if rows:
            row: Row[Any] = rows[0]
            return row
    raise Conflict("slug", f"No free slug for {wanted} after {NUMBERED_ATTEMPTS + RANDOM_ATTEMPTS} attempts")


@functools.cache
def _insert_unless_taken(
    dialect: str, model: type[Base], conflict: tuple[str, ...], returning: tuple[ColumnElement[Any], ...]
) -> PreparedWrite:
    """``INSERT ... ON CONFLICT (conflict) DO NOTHING RETURNING ...``, built once: its columns are the keys of the
    parameters it runs with (the ones given; the others take their defaults), so only they change per call."""
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return PreparedWrite(build(model).on_conflict_do_nothing(index_elements=list(conflict)).returning(*returning))
