"""The job queue's contract (storegraph/platform/jobs/queue.py), one suite for both backends: the database (on SQLite
and on
PostgreSQL) and Redis Streams. Every test holds on each; the backends behave the same for every method."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, select

from db.models import Job as JobRow
from db.queries.jobs import DatabaseJobQueue
from storegraph.platform.jobs.queue import MAX_KIND_LENGTH, Job, JobQueue
from storegraph.platform.jobs.redis_streams import RedisStreamJobQueue
from tests.support.queues import QUEUE_BACKENDS, another_queue, queue_under_test

LONG = 30.0  # a lease no test outlives
SHORT = 0.2  # a lease a test waits out


@pytest.fixture
async def queue(backend: str, database_url: str) -> AsyncIterator[JobQueue]:
    async with queue_under_test(backend, database_url) as under_test:
        yield under_test.queue


def ids(jobs: list[Job]) -> list[str]:
    return [job.id for job in jobs]


@QUEUE_BACKENDS
async def test_jobs_are_claimed_oldest_first_with_their_kind_payload_and_a_first_attempt(queue):
    payloads = [
        {"n": n, "big": 2**60 + n, "text": "Nadia — ولاية الجزائر", "nested": [1.5, None, True]} for n in range(3)
    ]
    enqueued = [await queue.enqueue("test.echo", payload) for payload in payloads]

    jobs = await queue.claim("worker-a", limit=10, lease_seconds=LONG)

    assert ids(jobs) == enqueued
    assert [job.payload for job in jobs] == payloads
    assert {(job.kind, job.attempts) for job in jobs} == {("test.echo", 1)}
    assert await queue.claim("worker-b", limit=10, lease_seconds=LONG) == []


@QUEUE_BACKENDS
async def test_a_claim_takes_at_most_its_limit_and_leaves_the_rest_for_the_next(queue):
    enqueued = await queue.enqueue_many([("test.echo", {"n": n}) for n in range(5)])

    first = await queue.claim("worker-a", limit=2, lease_seconds=LONG)
    second = await queue.claim("worker-b", limit=10, lease_seconds=LONG)

    assert ids(first) == enqueued[:2]
    assert ids(second) == enqueued[2:]


@QUEUE_BACKENDS
async def test_enqueue_many_stores_every_job_in_order_and_accepts_an_empty_list(queue):
    assert await queue.enqueue_many([]) == []
    enqueued = await queue.enqueue_many([("test.a", {"n": 1}), ("test.b", {"n": 2}), ("test.a", {"n": 3})])

    jobs = await queue.claim("worker", limit=10, lease_seconds=LONG)

    assert len(set(enqueued)) == 3
    assert [(job.id, job.kind, job.payload) for job in jobs] == [
        (enqueued[0], "test.a", {"n": 1}),
        (enqueued[1], "test.b", {"n": 2}),
        (enqueued[2], "test.a", {"n": 3}),
    ]
    assert await queue.pending() == 3


@QUEUE_BACKENDS
async def test_a_delayed_job_is_handed_out_only_once_it_is_due(queue):
    later = await queue.enqueue("test.echo", {"when": "later"}, delay_seconds=0.3)
    now = await queue.enqueue("test.echo", {"when": "now"})

    assert ids(await queue.claim("worker", limit=10, lease_seconds=LONG)) == [now]
    assert await queue.pending() == 2

    await asyncio.sleep(0.35)
    [due] = await queue.claim("worker", limit=10, lease_seconds=LONG)
    assert (due.id, due.payload, due.attempts) == (later, {"when": "later"}, 1)


@QUEUE_BACKENDS
async def test_concurrent_claims_hand_each_job_out_exactly_once(queue):
    enqueued = await queue.enqueue_many([("test.echo", {"n": n}) for n in range(40)])
    enqueued += [await queue.enqueue("test.echo", {"n": 40 + n}, delay_seconds=0.05) for n in range(10)]
    await asyncio.sleep(0.1)  # the delayed ones are due: concurrent claims race to move them, too

    claimed: list[Job] = []
    for _round in range(10):  # SKIP LOCKED may leave a claimer short while another holds rows; go again
        batches = await asyncio.gather(*(queue.claim(f"worker-{n}", limit=7, lease_seconds=LONG) for n in range(8)))
        claimed += [job for batch in batches for job in batch]
        if len(claimed) >= len(enqueued):
            break

    assert sorted(ids(claimed)) == sorted(enqueued)  # each job once: none twice, none missing
    assert {job.attempts for job in claimed} == {1}


@QUEUE_BACKENDS
async def test_a_job_whose_lease_ran_out_is_handed_out_again_with_one_more_attempt(queue):
    job_id = await queue.enqueue("test.echo", {"n": 1})
    [first] = await queue.claim("crashed", limit=10, lease_seconds=SHORT)

    assert await queue.claim("other", limit=10, lease_seconds=LONG) == []  # still held
    await asyncio.sleep(SHORT + 0.1)
    [again] = await queue.claim("other", limit=10, lease_seconds=LONG)

    assert (
        (again.id, again.kind, again.payload)
        == (first.id, first.kind, first.payload)
        == (job_id, "test.echo", {"n": 1})
    )
    assert again.attempts == 2
    assert await queue.claim("third", limit=10, lease_seconds=LONG) == []  # the new claim holds it


@QUEUE_BACKENDS
async def test_attempts_count_every_delivery_across_reclaims_and_retries(queue):
    await queue.enqueue("test.echo", {})
    seen = []
    for _ in range(2):
        [job] = await queue.claim("crashing", limit=1, lease_seconds=0.05)
        seen.append(job.attempts)
        await asyncio.sleep(0.1)
    [job] = await queue.claim("worker", limit=1, lease_seconds=LONG)
    seen.append(job.attempts)
    await queue.retry(job, delay_seconds=0, error="failed")
    [job] = await queue.claim("worker", limit=1, lease_seconds=LONG)
    seen.append(job.attempts)

    assert seen == [1, 2, 3, 4]


@QUEUE_BACKENDS
async def test_a_completed_job_is_never_handed_out_again(queue):
    await queue.enqueue("test.echo", {})
    [job] = await queue.claim("worker", limit=10, lease_seconds=SHORT)

    await queue.complete(job)
    await asyncio.sleep(SHORT + 0.1)

    assert await queue.claim("worker", limit=10, lease_seconds=LONG) == []
    assert await queue.pending() == 0


@QUEUE_BACKENDS
async def test_a_retried_job_comes_back_after_its_delay_with_one_more_attempt(queue):
    job_id = await queue.enqueue("test.echo", {"n": 7})
    [job] = await queue.claim("worker", limit=10, lease_seconds=LONG)

    await queue.retry(job, delay_seconds=0.3, error="upstream said 503")

    assert await queue.claim("worker", limit=10, lease_seconds=LONG) == []
    assert await queue.pending() == 1
    await asyncio.sleep(0.35)
    [again] = await queue.claim("worker", limit=10, lease_seconds=LONG)
    assert (again.id, again.payload, again.attempts) == (job_id, {"n": 7}, 2)


@QUEUE_BACKENDS
async def test_a_stale_claim_can_neither_complete_nor_retry_nor_bury_the_job(queue):
    await queue.enqueue("test.echo", {"n": 1})
    [stale] = await queue.claim("slow", limit=10, lease_seconds=SHORT)
    await asyncio.sleep(SHORT + 0.1)
    [current] = await queue.claim("fast", limit=10, lease_seconds=LONG)

    await queue.complete(stale)
    await queue.retry(stale, delay_seconds=0, error="late")
    await queue.dead_letter(stale, error="late")

    assert await queue.pending() == 1
    assert await queue.dead_letters() == []
    assert await queue.claim("third", limit=10, lease_seconds=LONG) == []  # not released, not duplicated
    await queue.complete(current)
    assert await queue.pending() == 0
    assert await queue.claim("third", limit=10, lease_seconds=LONG) == []


@QUEUE_BACKENDS
async def test_a_worker_that_reclaims_its_own_expired_job_holds_only_the_new_claim(queue):
    await queue.enqueue("test.echo", {})
    [stale] = await queue.claim("same-worker", limit=10, lease_seconds=SHORT)
    await asyncio.sleep(SHORT + 0.1)
    [current] = await queue.claim("same-worker", limit=10, lease_seconds=LONG)

    await queue.complete(stale)

    assert await queue.pending() == 1
    await queue.complete(current)
    assert await queue.pending() == 0


@QUEUE_BACKENDS
async def test_a_dead_letter_is_kept_for_the_operator_and_never_handed_out(queue):
    job_id = await queue.enqueue("test.echo", {"n": 3})
    [job] = await queue.claim("worker", limit=10, lease_seconds=SHORT)

    await queue.dead_letter(job, error="ValueError: no such store")
    await asyncio.sleep(SHORT + 0.1)

    assert await queue.claim("worker", limit=10, lease_seconds=LONG) == []
    assert await queue.pending() == 0
    [letter] = await queue.dead_letters()
    assert (letter.id, letter.kind, letter.payload, letter.attempts) == (job_id, "test.echo", {"n": 3}, 1)
    assert letter.error == "ValueError: no such store"


@QUEUE_BACKENDS
async def test_a_kind_the_dead_letters_could_not_hold_is_refused(queue):
    for kind in ["", "x" * (MAX_KIND_LENGTH + 1), "has space", "dead:test.echo", "line\nbreak"]:
        with pytest.raises(ValueError, match="invalid job kind"):
            await queue.enqueue(kind, {})
        with pytest.raises(ValueError, match="invalid job kind"):
            await queue.enqueue_many([("test.ok", {}), (kind, {})])
    assert await queue.pending() == 0


@QUEUE_BACKENDS
async def test_the_queue_implements_the_interface(queue):
    assert isinstance(queue, DatabaseJobQueue | RedisStreamJobQueue)
    await queue.close()  # the engine and the client belong to the caller: closing the queue leaves them working
    await queue.enqueue("test.echo", {})
    assert await queue.pending() == 1


@QUEUE_BACKENDS
async def test_another_process_queue_sees_jobs_enqueued_before_and_after_it_started(backend, database_url):
    async with queue_under_test(backend, database_url) as under_test:
        queue = under_test.queue
        # Nothing has claimed yet (on Redis: the stream exists, its consumer group does not).
        early = await queue.enqueue("test.echo", {"n": 0})
        async with another_queue(under_test, database_url) as other:
            assert ids(await other.claim("worker-b", limit=10, lease_seconds=LONG)) == [early]
            late = await queue.enqueue("test.echo", {"n": 1})
            assert ids(await queue.claim("worker-a", limit=10, lease_seconds=LONG)) == [late]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_claims_skip_rows_another_transaction_has_locked_instead_of_waiting(database_url):
    async with queue_under_test("database", database_url) as under_test:
        queue, engine = under_test.queue, under_test.engine
        first, second = await queue.enqueue_many([("test.echo", {"n": 1}), ("test.echo", {"n": 2})])
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        async with engine.connect() as other, other.begin():
            # Another claim in progress holds the first row's lock.
            await other.execute(select(JobRow.id).where(JobRow.id == int(first)).with_for_update())
            event.listen(engine.sync_engine, "before_cursor_execute", record)
            try:
                async with asyncio.timeout(5):  # without SKIP LOCKED the claim would wait for that transaction
                    claimed = await queue.claim("worker", limit=10, lease_seconds=LONG)
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", record)

        assert ids(claimed) == [second]
        assert any("FOR UPDATE SKIP LOCKED" in statement for statement in statements)
        assert ids(await queue.claim("worker", limit=10, lease_seconds=LONG)) == [first]
