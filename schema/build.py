"""The schema object: types, document caches, masked internal errors and the scope guards."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from domain.errors import ApiError
from schema.mutation import Mutation
from schema.permissions import install_scope_guards
from schema.query import Query
from schema.scalars import SCALAR_MAP

logger = logging.getLogger("storegraph.graphql")

DOCUMENT_CACHE_SIZE = 1024


class StoregraphSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Expected errors (an ``ApiError``) are answers, not incidents: log only the unexpected, with stack."""
        for error in errors:
            original = root_cause(error)
            if original is not None and not isinstance(original, ApiError):
                logger.error("unexpected error in %s", error.path, exc_info=original)


def build_schema() -> StoregraphSchema:
    schema = StoregraphSchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=[
            lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
            lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        ],
    )
    install_scope_guards(schema._schema)
    return schema


def root_cause(error: GraphQLError) -> BaseException | None:
    """The exception behind ``error``. graphql-core wraps a bad variable value's GraphQLError in another
    GraphQLError (as its ``original_error``): that is still the client's error, not an internal one."""
    original: BaseException | None = error.original_error
    while isinstance(original, GraphQLError):
        original = original.original_error
    return original


def is_unexpected(error: GraphQLError) -> bool:
    """An error the client did not cause: an exception other than an ``ApiError`` inside a resolver."""
    original = root_cause(error)
    return original is not None and not isinstance(original, ApiError)


def format_error(error: GraphQLError, request_id: str | None) -> dict[str, Any]:
    """The error as the client sees it: expected errors keep their code; anything else is masked."""
    original = root_cause(error)
    if original is None:
        formatted = error.formatted
        formatted["extensions"] = {"code": "validation_error", **(error.extensions or {})}
        return dict(formatted)
    if isinstance(original, ApiError):
        return dict(error.formatted)
    masked: dict[str, Any] = {
        "message": f"Internal server error (request {request_id})" if request_id else "Internal server error",
        "extensions": {"code": "internal_error"},
    }
    if error.path is not None:
        masked["path"] = error.path
    if error.locations is not None:
        masked["locations"] = [location._asdict() for location in error.locations]
    return masked
