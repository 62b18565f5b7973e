from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import (
    ApiError,
    Conflict,
    CustomerBanned,
    InsufficientScope,
    InsufficientStock,
    InvalidStatusTransition,
    NotFound,
    ValidationFailed,
)
from domain.products import UNSET as DOMAIN_UNSET
from schema.context import Info

T = TypeVar("T")

# Failures a client can act on: reported in userErrors, and the mutation's writes are rolled back.
USER_ERRORS: tuple[type[ApiError], ...] = (
    ValidationFailed,
    NotFound,
    Conflict,
    InvalidStatusTransition,
    CustomerBanned,
    InsufficientStock,
    InsufficientScope,
)


@strawberry.type(description="A problem with the input; nothing was changed.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, when there is one.")
    code: str = strawberry.field(
        description="`not_found`, `conflict`, `invalid_status_transition`, `customer_banned`, "
        "`insufficient_stock`, `insufficient_scope`, `forbidden`, or a validation code such as `blank`, `too_long`, "
        "`out_of_range`, `invalid_phone`, `invalid_email`."
    )
    message: str


def user_errors_of(error: ApiError) -> list[UserError]:
    if isinstance(error, ValidationFailed):
        return [UserError(field=d.field, code=d.code, message=d.message) for d in error.details]
    field = getattr(error, "field", None)
    return [UserError(field=field, code=error.code, message=error.message)]


async def run_mutation(info: Info, work: Callable[[AsyncSession], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Runs ``work`` in a savepoint of the request's write transaction.

    On an expected failure the savepoint is rolled back, so a mutation that fails half-way (the third line of an
    order out of stock) leaves nothing behind, and the failure is returned as userErrors.
    """
    try:
        # ``writing`` holds the request's session exclusively: a DataLoader batch left running by an earlier
        # field cannot interleave a statement with this work.
        async with info.context.db.writing() as session, session.begin_nested():
            return await work(session), []
    except USER_ERRORS as error:
        return None, user_errors_of(error)
    finally:
        # Mutations run one after another; what an earlier one's selection loaded may be stale now.
        info.context.loaders.clear()


def payload(**fields: Any) -> Any:
    """The run-time value of a payload type: plain attributes, like every other source object."""
    return SimpleNamespace(**fields)


def given(value: Any) -> Any:
    """strawberry's UNSET (field absent from the input) as the domain's UNSET (leave unchanged)."""
    return DOMAIN_UNSET if value is strawberry.UNSET else value
