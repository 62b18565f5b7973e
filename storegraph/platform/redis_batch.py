"""Concurrent requests' Redis commands sent together, in one pipeline.

Under load, every signed tracking request sends the same few small commands (its replay check, its usage
counts), and with redis-py each command's round trip costs far more of the process's CPU (encoding, the socket,
the event loop's wake-ups) than Redis spends on it. ``PipelineBatcher`` sends the commands of the requests that
arrive while a pipeline is in flight together in the next one (not a transaction: each command stays atomic on
its own, as it was when sent alone), and hands each caller the replies to its own commands. As with the job
queue's group commit (storegraph/platform/jobs/group_commit.py) there is no timer: an idle process sends at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

# Commands of one pipeline at most, so one slow batch never holds a large share of the replies.
MAX_COMMANDS = 2_000

# Adds a caller's commands to the pipeline (what the pipeline methods return is not used).
Commands = Callable[[Pipeline], object]


@dataclass(slots=True)
class _Waiting:
    commands: Commands
    count: int
    done: asyncio.Future[list[Any]]


class PipelineBatcher:
    def __init__(self, redis: Redis, *, max_commands: int = MAX_COMMANDS) -> None:
        self._redis = redis
        self._max_commands = max_commands
        self._waiting: list[_Waiting] = []
        self._sender: asyncio.Task[None] | None = None

    async def send(self, commands: Commands, count: int) -> list[Any]:
        """The replies to the ``count`` commands that ``commands`` adds to a pipeline, once they were sent with
        those of the other callers of the moment. A command's error is raised (to its caller only)."""
        done: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(commands, count, done))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_all())
        # The sender is a task of its own: a caller cancelled while waiting cancels only its own future.
        return await done

    async def _send_all(self) -> None:
        while self._waiting:
            batch = self._take()
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for item in batch:
                        item.commands(pipe)
                    replies = await pipe.execute(raise_on_error=False)
            except BaseException as error:
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(error)
                if isinstance(error, asyncio.CancelledError):
                    raise
                continue
            start = 0
            for item in batch:
                own = replies[start : start + item.count]
                start += item.count
                if item.done.done():
                    continue
                failure = next((reply for reply in own if isinstance(reply, Exception)), None)
                if failure is not None:
                    item.done.set_exception(failure)
                else:
                    item.done.set_result(own)

    def _take(self) -> list[_Waiting]:
        taken = 0
        commands = 0
        for item in self._waiting:
            if taken and commands + item.count > self._max_commands:
                break
            taken += 1
            commands += item.count
        batch, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return batch


async def run_script(batcher: PipelineBatcher, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
    """``script(keys=..., args=...)`` sent as EVALSHA in the next pipeline; a server that does not know the script
    yet (a restart, SCRIPT FLUSH) gets it loaded by the direct call instead."""
    try:
        [reply] = await batcher.send(lambda pipe: pipe.evalsha(script.sha, len(keys), *keys, *args), 1)
    except NoScriptError:
        return await script(keys=keys, args=args)
    return reply
