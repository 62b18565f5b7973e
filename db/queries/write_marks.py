"""Which transactions wrote store data: the one rule, for the statements SQLAlchemy runs (the engine's listener in
db/queries/store_versions.py) and for those run on the driver (``core_write`` in db/queries/executor.py), which no
listener sees. db/queries/store_versions.py says what the mark is for, and how savepoints take it back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql.dml import UpdateBase

# Bookkeeping no GET answers from the store's version (see db/queries/store_versions.py).
UNVERSIONED_TABLES = frozenset({"jobs", "outbox_events", "idempotency_records", "usage_counters"})
# ``connection.info``: whether its transaction wrote store data.
WROTE = "storegraph_wrote_store_data"


def note_write(connection: Connection, statement: Any) -> None:
    """Marks ``connection``'s transaction as one that wrote store data if ``statement`` (just run on it) is an
    INSERT, UPDATE or DELETE of a table of store data."""
    if isinstance(statement, UpdateBase) and getattr(statement.table, "name", None) not in UNVERSIONED_TABLES:
        connection.info[WROTE] = True
