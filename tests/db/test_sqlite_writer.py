"""The SQLite writer thread (db/sqlite_writer.py) holds SQLite's write lock only while a transaction runs: however
a transaction ends, another connection to the file can take the lock at once afterwards. A writer left idle in
its transaction would make every other writer of the file (the API's requests, a worker, another process) wait
out its busy timeout and fail with "database is locked"."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from db.session import configure_sqlite_connection
from db.sqlite_writer import SqliteWriter


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """A file with a parent table and a child whose reference is checked at COMMIT (a deferred constraint), so
    that a transaction's COMMIT can be made to fail."""
    path = tmp_path / "writer.db"
    connection = sqlite3.connect(path, isolation_level=None)
    configure_sqlite_connection(connection)
    connection.execute("CREATE TABLE parents (id INTEGER PRIMARY KEY)")
    connection.execute(
        "CREATE TABLE children (parent_id INTEGER NOT NULL REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)"
    )
    connection.close()
    return path


@pytest.fixture
async def writer(database: Path) -> AsyncIterator[SqliteWriter]:
    opened = SqliteWriter(str(database))
    yield opened
    await opened.close()


@pytest.fixture
def other(database: Path) -> Iterator[sqlite3.Connection]:
    """Another connection to the file that never waits for the lock: busy is an error at once."""
    connection = sqlite3.connect(database, isolation_level=None, timeout=0)
    yield connection
    connection.close()


def takes_the_write_lock(connection: sqlite3.Connection) -> bool:
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
    connection.execute("ROLLBACK")
    return True


def insert_child_of(parent_id: int) -> Callable[[sqlite3.Connection], None]:
    def work(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO children (parent_id) VALUES (?)", (parent_id,))

    return work


def rows(database: Path) -> tuple[int, int]:
    """How many parents and children the file holds."""
    connection = sqlite3.connect(database)
    try:
        parents, children = connection.execute(
            "SELECT (SELECT count(*) FROM parents), (SELECT count(*) FROM children)"
        ).fetchone()
        return int(parents), int(children)
    finally:
        connection.close()


async def test_between_transactions_the_writer_holds_no_lock(writer, other, database):
    await writer.transaction(lambda connection: connection.execute("INSERT INTO parents (id) VALUES (1)"))

    assert takes_the_write_lock(other)
    assert rows(database) == (1, 0)


async def test_a_transaction_whose_work_raises_is_rolled_back_and_leaves_the_lock_free(writer, other, database):
    def failing(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO parents (id) VALUES (1)")
        raise ValueError("the work failed half-way")

    with pytest.raises(ValueError, match="half-way"):
        await writer.transaction(failing)

    assert takes_the_write_lock(other)
    assert rows(database) == (0, 0)


async def test_a_transaction_whose_commit_fails_is_rolled_back_and_leaves_the_lock_free(writer, other, database):
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await writer.transaction(insert_child_of(42))  # no parent 42: refused at COMMIT

    assert takes_the_write_lock(other)
    assert rows(database) == (0, 0)


async def test_the_writer_writes_again_after_a_commit_failed(writer, database):
    with pytest.raises(sqlite3.IntegrityError):
        await writer.transaction(insert_child_of(42))

    await writer.transaction(lambda connection: connection.execute("INSERT INTO parents (id) VALUES (42)"))
    await writer.transaction(insert_child_of(42))

    assert rows(database) == (1, 1)
