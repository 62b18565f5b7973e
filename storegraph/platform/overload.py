"""Overload: a shared pool of connections (Redis's, the database's) that stays empty for its whole bounded wait.

redis-py's default pool raises ``MaxConnectionsError`` as soon as its connections are all in use, so a burst of
requests failed with 500s while Redis itself was idle. ``bounded_redis`` builds the client on a pool that waits for
a free connection instead, for a bounded time, and then raises ``RedisPoolExhausted``. ``overloaded`` recognises
that, and the database pool's own timeout, anywhere in an exception's chain: every place that answers an unexpected
failure (storegraph/platform/http/internal_error.py, the GraphQL error formatter) answers those with 503
``overloaded`` and ``Retry-After`` instead of ``internal_error``. The request is not at fault, only its timing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import TimeoutError as DatabasePoolTimeout

from storegraph.platform.errors import Overloaded
from storegraph.platform.redis_encoder import FastEncoder

# Exception chains are short; the bound only guards against a cycle built by hand.
_MAX_CHAIN = 32


class RedisPoolExhausted(RedisConnectionError):
    """Every connection of the process's Redis pool stayed in use for the pool's whole wait."""


class BoundedRedisPool(BlockingConnectionPool):
    """redis-py's blocking pool, with its timeout told apart from Redis being unreachable.

    Both are a ``ConnectionError`` in redis-py; only the wait running out is caused by ``TimeoutError`` (the
    failure to connect is caused by an ``OSError``), and only that one is overload.
    """

    async def get_connection(self, *args: Any, **kwargs: Any) -> AbstractConnection:
        try:
            # redis-py's deprecation decorator on the method leaves it untyped.
            connection: AbstractConnection = await super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]
        except RedisConnectionError as error:
            if isinstance(error.__cause__, asyncio.TimeoutError):
                raise RedisPoolExhausted(
                    f"no Redis connection became free within {self.timeout} s ({self.max_connections} in use)"
                ) from error
            raise
        return connection


def bounded_redis(url: str, *, max_connections: int, timeout_seconds: float) -> Redis:
    """A client whose commands wait up to ``timeout_seconds`` for one of ``max_connections`` connections."""
    pool = BoundedRedisPool.from_url(
        url, max_connections=max_connections, timeout=timeout_seconds, encoder_class=FastEncoder
    )
    # from_pool: closing the client closes the pool too.
    return Redis.from_pool(pool)


def pool_exhaustion(error: BaseException | None) -> BaseException | None:
    """The exception in ``error``'s chain (itself, or what caused it) that says a pool stayed empty, if any."""
    for _ in range(_MAX_CHAIN):
        if error is None or isinstance(error, RedisPoolExhausted | DatabasePoolTimeout):
            return error
        error = error.__cause__ or error.__context__
    return None


def overloaded(error: BaseException | None) -> Overloaded | None:
    """The answer to ``error`` when a pool that stayed empty caused it, else None (the caller's usual answer)."""
    return Overloaded() if pool_exhaustion(error) is not None else None
