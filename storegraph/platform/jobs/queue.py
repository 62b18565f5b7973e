"""The job queue's interface. Two backends implement it: the database (db/queries/jobs.py, the embedded default)
and Redis Streams (storegraph/platform/jobs/redis_streams.py, for scale); docs/jobs.md says why and how.

Delivery is at least once: a job is claimed with a lease (visibility timeout), and a job whose worker died before
acknowledging it is claimed again once the lease runs out. Handlers are therefore written to be safe to run twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

# A dead letter is kept under its kind with this prefix (the database column holds 40 characters), so a kind is
# at most 35 characters of a plain alphabet: both backends refuse anything else, so they behave the same.
DEAD_PREFIX = "dead:"
MAX_KIND_LENGTH = 35
_KIND = re.compile(rf"[A-Za-z0-9_.:-]{{1,{MAX_KIND_LENGTH}}}")


def check_kind(kind: str) -> str:
    """``kind`` if it is a valid job kind, else ``ValueError`` (a programming error, caught by the tests)."""
    if not _KIND.fullmatch(kind) or kind.startswith(DEAD_PREFIX):
        raise ValueError(f"invalid job kind {kind!r}: 1-{MAX_KIND_LENGTH} of A-Z a-z 0-9 _ . : - and not {DEAD_PREFIX}")
    return kind


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job. ``attempts`` counts its deliveries, this one included (1 the first time). ``token`` identifies
    the claim (a database row's lock owner; a stream entry, its consumer and delivery count)."""

    id: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    token: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A job given up on (storegraph/platform/jobs/worker.py): what it was, how often it ran, and the last error."""

    id: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    error: str


class JobQueue(Protocol):
    async def enqueue(self, kind: str, payload: dict[str, Any], *, delay_seconds: float = 0.0) -> str:
        """Stores the job durably before returning its id; it becomes due after ``delay_seconds``."""
        ...

    async def enqueue_many(self, jobs: list[tuple[str, dict[str, Any]]]) -> list[str]:
        """Several jobs in one durable write (one transaction, one pipeline)."""
        ...

    async def claim(self, worker: str, *, limit: int, lease_seconds: float) -> list[Job]:
        """Up to ``limit`` due jobs, each held by ``worker`` for ``lease_seconds`` (jobs whose lease ran out
        are due again). Returns at once, possibly empty."""
        ...

    async def complete(self, job: Job) -> None:
        """The job is done: it is never handed out again."""
        ...

    async def retry(self, job: Job, *, delay_seconds: float, error: str) -> None:
        """Hands the job out again after ``delay_seconds``, with its attempt count increased."""
        ...

    async def dead_letter(self, job: Job, *, error: str) -> None:
        """Gives up on the job: it is never handed out again, but kept among the dead letters for the operator."""
        ...

    async def pending(self) -> int:
        """How many jobs are waiting, delayed or running (not the dead letters)."""
        ...

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The oldest dead letters, for the operator (and the tests)."""
        ...

    async def close(self) -> None: ...
