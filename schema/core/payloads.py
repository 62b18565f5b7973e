from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from types import SimpleNamespace
from typing import Any, TypeVar

import strawberry
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from db.queries.executor import Executor, WriteTransaction
from resolvers.core.context import Info
from storegraph.platform.errors import ApiError, ValidationFailed, user_error_types
from storegraph.platform.validation import UNSET as DOMAIN_UNSET

T = TypeVar("T")

# Failures a client can act on: reported in userErrors, and the mutation's writes are rolled back.
USER_ERRORS = user_error_types()


@strawberry.type(description="A problem with the input; nothing was changed.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, when there is one.")
    code: str = strawberry.field(
        description="`not_found`, `conflict`, `invalid_status_transition`, `customer_banned`, "
        "`insufficient_stock`, `insufficient_balance`, `loyalty_disabled`, `house_account_disabled`, "
        "`house_account_limit_exceeded`, `insufficient_scope`, `forbidden`, or a validation code such as `blank`, "
        "`too_long`, `out_of_range`, `invalid_phone`, `invalid_email`."
    )
    message: str


def user_errors_of(error: ApiError) -> list[UserError]:
    if isinstance(error, ValidationFailed):
        return [UserError(field=d.field, code=d.code, message=d.message) for d in error.details]
    field = getattr(error, "field", None)
    return [UserError(field=field, code=error.code, message=error.message)]


async def run_mutation(info: Info, work: Callable[[AsyncSession], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Runs ``work`` in a savepoint of the request's write transaction (or in the transaction itself when the
    mutation is its first work: see ``RequestDatabase.mutating``).

    On an expected failure the savepoint is rolled back, so a mutation that fails half-way (the third line of an
    order out of stock) leaves nothing behind, and the failure is returned as userErrors.
    """
    # ``mutating`` holds the request's session exclusively: a DataLoader batch left running by an earlier field
    # cannot interleave a statement with this work.
    return await _run(info, info.context.db.mutating(), work)


async def run_mutation_on_driver(
    info: Info, work: Callable[[WriteTransaction], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """``run_mutation`` for work that takes either kind of transaction: on the driver alone when the request runs
    this mutation only (``RequestDatabase.mutating_on_driver``), which costs a small write a fraction of the
    session's work around it."""
    return await _run(info, info.context.db.mutating_on_driver(), work)


async def _run(
    info: Info, transaction: AbstractAsyncContextManager[Any], work: Callable[[Any], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    try:
        async with transaction as opened:
            return await work(opened), []
    except USER_ERRORS as error:
        return None, user_errors_of(error)
    finally:
        # Mutations run one after another; what an earlier one's selection loaded may be stale now.
        info.context.loaders.clear()


ReadByIds = Callable[[Executor, int, list[int]], Awaitable[Sequence[Row[Any]]]]


async def written_row(info: Info, read: ReadByIds, written_id: int | None) -> Row[Any] | None:
    """What a mutation wrote, as the reads show it (one select by id through ``read``, a ``db/queries`` reader of
    the store's rows by ids): the payload then answers exactly what a query of the same object would."""
    if written_id is None:
        return None
    rows = await read(info.context.db, info.context.store_id, [written_id])
    return rows[0] if rows else None


def payload(**fields: Any) -> Any:
    """The run-time value of a payload type: plain attributes, like every other source object."""
    return SimpleNamespace(**fields)


def given(value: Any) -> Any:
    """strawberry's UNSET (field absent from the input) as the domain's UNSET (leave unchanged)."""
    return DOMAIN_UNSET if value is strawberry.UNSET else value
