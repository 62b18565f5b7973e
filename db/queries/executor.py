from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import Executable, Result


class Executor(Protocol):
    """Anything that runs a statement: an ``AsyncSession`` or the per-request database of the GraphQL context."""

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None, /) -> Result[Any]: ...
