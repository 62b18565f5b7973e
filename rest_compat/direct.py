"""Rows answered without running their GraphQL operation: the signed tracking intake, where a GraphQL execution
(parsing variables, a request transaction, resolvers) would cost more than the work itself.

A direct row still has its operation (the OpenAPI document, the REST names and the representation are compiled
from it) and calls the same rule the operation's resolver calls (storegraph/rules/<domain>), so the rules live
once. What the direct function returns is what the operation would answer in ``data``: the handler converts it
to the REST representation, and its ``userErrors`` to the REST error, exactly as for a GraphQL answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from storegraph.platform.auth.principal import Principal
from storegraph.platform.errors import ValidationFailed
from storegraph.platform.jobs.queue import JobQueue


@dataclass(frozen=True, slots=True)
class DirectCall:
    """What a direct row works with: the caller, the body as received, and the job queue intake writes to
    (grouping concurrent requests into one durable write).

    ``body()`` checks the raw body with the row's body model, as the handler checks every other row's, and gives
    it as the model dumps it (JSON names and values), or raises the ``ValidationFailed`` the handler answers. A
    row may read ``raw`` itself first, when its own reading is cheaper and accepts only what the model accepts."""

    principal: Principal
    raw: bytes
    queue: JobQueue
    checked_body: Callable[[], dict[str, Any]]

    def body(self) -> dict[str, Any]:
        return self.checked_body()


DirectOperation = Callable[[DirectCall], Awaitable[dict[str, Any]]]


def user_errors(error: ValidationFailed) -> list[dict[str, Any]]:
    """A rule's refusal as the operation's ``userErrors`` (schema/core/payloads.py ``user_errors_of``)."""
    return [{"field": detail.field, "code": detail.code, "message": detail.message} for detail in error.details]
