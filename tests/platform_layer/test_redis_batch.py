"""Concurrent callers' Redis commands share pipelines (storegraph/platform/redis_batch.py), each caller getting
the replies to its own commands, and the errors of its own commands only. On the real Redis."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from redis.asyncio.client import Pipeline
from redis.exceptions import ResponseError

from storegraph.platform.redis_batch import Commands, PipelineBatcher, run_script


async def test_concurrent_callers_get_the_replies_to_their_own_commands(redis, prefix):
    batcher = PipelineBatcher(redis)

    def commands(n: int) -> Commands:
        def add(pipe: Pipeline) -> None:
            pipe.incrby(f"{prefix}n", n)
            pipe.set(f"{prefix}{n}", n)

        return add

    replies = await asyncio.gather(*(batcher.send(commands(n), 2) for n in range(1, 21)))

    assert all(reply[1] is True for reply in replies)
    assert sorted(reply[0] for reply in replies)[-1] == sum(range(1, 21))
    assert len({reply[0] for reply in replies}) == 20


async def test_a_cancelled_caller_leaves_the_pipeline_to_the_others(redis, prefix):
    batcher = PipelineBatcher(redis)
    first = asyncio.create_task(batcher.send(lambda pipe: pipe.incr(f"{prefix}n"), 1))
    left = asyncio.create_task(batcher.send(lambda pipe: pipe.incr(f"{prefix}n"), 1))
    stayed = asyncio.create_task(batcher.send(lambda pipe: pipe.incr(f"{prefix}n"), 1))
    await asyncio.sleep(0)

    left.cancel()

    assert sorted([*await first, *await stayed]) in ([1, 2], [1, 3], [2, 3])
    assert left.cancelled()
    assert int(await redis.get(f"{prefix}n")) == 3  # its command was sent all the same


async def test_a_failing_command_fails_its_caller_only(redis, prefix):
    batcher = PipelineBatcher(redis)
    await redis.set(f"{prefix}text", "not a number")

    results = await asyncio.gather(
        batcher.send(lambda pipe: pipe.incr(f"{prefix}text"), 1),
        batcher.send(lambda pipe: pipe.incr(f"{prefix}counter"), 1),
        return_exceptions=True,
    )

    assert isinstance(results[0], ResponseError)
    assert results[1] == [1]


async def test_a_script_redis_does_not_know_yet_is_loaded_and_run(redis, prefix):
    batcher = PipelineBatcher(redis)
    script = redis.register_script(f"-- {uuid4().hex}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])")

    assert await run_script(batcher, script, [f"{prefix}scripted"], [5]) == 5
    assert await run_script(batcher, script, [f"{prefix}scripted"], [2]) == 7
