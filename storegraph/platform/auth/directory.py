"""What authentication needs from the place keys are kept. The app hands the middlewares the database's
(db/queries/keys.py ``KeyDirectory``); authentication itself knows no SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Row


class KeyDirectory(Protocol):
    async def platform_key(self, key_id: str) -> Row[Any] | None:
        """The platform key with its store's ``store_name``, ``store_plan`` and ``store_phone_region``."""

    async def public_key(self, key_id: str) -> Row[Any] | None:
        """The public key with its signing secret, allowed origins and the same store columns."""

    async def record_use(self, key_pk: int, when: datetime) -> None:
        """Writes the key's ``last_used_at`` in a short transaction of its own."""
