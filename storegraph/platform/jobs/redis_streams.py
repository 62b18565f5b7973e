"""The job queue in Redis Streams: for deployments that share Redis, so jobs cost the database nothing.

Keys (under the deployment's prefix; the ``{jobs}`` hash tag keeps them in one Redis Cluster slot, which the
scripts below need):

- ``stream``: a stream with one consumer group (``workers``). A due job is an entry; the entry id is the job id when
  it was enqueued without a delay. Claiming reads new entries into the group's pending list (PEL) under the
  claiming worker's consumer name (XREADGROUP ``>``); the PEL's delivery count is the attempt count.
- ``leases``: a sorted set of claimed entry ids scored by the time their claim's lease ends. Claiming takes the
  expired ones over first (XCLAIM, which adds one to their delivery count). The lease is the claimer's own, as in
  the database queue (XAUTOCLAIM's idle time would apply the *re*claimer's lease instead), and finding the expired
  entries costs O(log n) instead of a scan of the PEL.
- ``delayed``: a sorted set of jobs not due yet (delayed or retried), scored by due time. Claiming first moves the
  due ones into the stream.
- ``dead``: a stream of dead letters, trimmed to about ``DEAD_LETTERS_KEPT`` entries.

Times are the Redis server's clock (TIME, in the scripts), so the workers' clocks never matter. Every operation
that reads and then writes is one Lua script, so it is atomic: a delayed job is moved exactly once (ZRANGEBYSCORE,
XADD, ZREM together), and completing, retrying or burying a job first checks, in the same step, that the caller's
claim still holds it (same consumer, same delivery count), so a worker whose lease ran out cannot undo the work of
the one that reclaimed the job. Completed entries are deleted (XACK + XDEL), so the stream holds only waiting and
running jobs and needs no MAXLEN trimming: trimming could only drop unfinished jobs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.typing import EncodableT

from storegraph.platform.jobs.queue import DeadLetter, Job, check_kind

GROUP = "workers"
# Due delayed jobs moved per claim at most, so one claim never holds Redis for long after a burst of retries.
MOVE_BATCH = 500
DEAD_LETTERS_KEPT = 100_000
MAX_ERROR = 255
# Consumers (one per worker process) that hold nothing and have been silent this long are removed from the group,
# at most once a minute, so worker restarts do not pile up consumer names.
CONSUMER_IDLE_MS = 3_600_000
PRUNE_EVERY_MS = 60_000

_NOW_MS = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""

# Every script but _DELAY: KEYS start with the stream and the leases, ARGV with the group.
_HELPERS = (
    _NOW_MS
    + """
local stream, leases, group = KEYS[1], KEYS[2], ARGV[1]
-- Whether the claim (entry id, consumer, delivery count) still holds the entry: a reclaim changes both.
local function held(id, consumer, delivered)
  local entry = redis.call('XPENDING', stream, group, id, id, 1)[1]
  return entry ~= nil and entry[2] == consumer and tonumber(entry[4]) == tonumber(delivered)
end
local function release(id)
  redis.call('XACK', stream, group, id)
  redis.call('XDEL', stream, id)
  redis.call('ZREM', leases, id)
end
"""
)

# A delayed job is one sorted-set member: "id\nkind\nattempts\nerror\npayload". Ids, kinds (check_kind) and errors
# (whitespace collapsed) hold no newline, so Lua splits it without decoding the JSON payload: re-encoding it with
# Lua's cjson would change numbers (integers above 2^53, float formatting).
#
# KEYS: stream, leases, delayed, prune marker. ARGV: group, consumer, limit, lease ms, move batch, consumer idle
# ms, prune every ms. Returns [[entry id, fields, delivery count], ...], reclaimed ones first.
_CLAIM = (
    _HELPERS
    + """
local delayed, prune_key = KEYS[3], KEYS[4]
local consumer, limit, lease = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
-- Idempotent; the group reads from the start ('0'), so jobs enqueued before any worker ran are not skipped.
local made = redis.pcall('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
if type(made) == 'table' and made.err and not string.find(made.err, 'BUSYGROUP', 1, true) then
  return redis.error_reply(made.err)
end
local now = now_ms()
local MEMBER = '^([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)\\n(.*)$'
for _, member in ipairs(redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))) do
  local id, kind, attempts, err, payload = string.match(member, MEMBER)
  redis.call('XADD', stream, '*', 'id', id, 'kind', kind, 'attempts', attempts, 'error', err, 'payload', payload)
  redis.call('ZREM', delayed, member)
end
local claimed = {}
local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, limit)
if #expired > 0 then
  local alive = {}
  for _, entry in ipairs(redis.call('XCLAIM', stream, group, consumer, 0, unpack(expired))) do
    if entry[2] then
      alive[entry[1]] = true
      local delivered = redis.call('XPENDING', stream, group, entry[1], entry[1], 1)[1][4]
      claimed[#claimed + 1] = {entry[1], entry[2], delivered}
    end
  end
  -- An expired lease whose entry is gone (or no longer pending) has nothing left to reclaim.
  for _, id in ipairs(expired) do
    if not alive[id] then release(id) end
  end
end
if #claimed < limit then
  local fresh = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', limit - #claimed, 'STREAMS', stream, '>')
  if fresh then
    for _, entry in ipairs(fresh[1][2]) do claimed[#claimed + 1] = {entry[1], entry[2], 1} end
  end
end
for _, job in ipairs(claimed) do redis.call('ZADD', leases, now + lease, job[1]) end
if redis.call('SET', prune_key, '1', 'NX', 'PX', ARGV[7]) then
  for _, info in ipairs(redis.call('XINFO', 'CONSUMERS', stream, group)) do
    local fields = {}
    for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
    local silent = tonumber(fields['pending']) == 0 and tonumber(fields['idle']) > tonumber(ARGV[6])
    if silent and fields['name'] ~= consumer then
      redis.call('XGROUP', 'DELCONSUMER', stream, group, fields['name'])
    end
  end
end
return claimed
"""
)

# KEYS: stream, leases. ARGV: group, entry id, consumer, delivery count. Returns 1 if done, 0 for a stale claim.
_COMPLETE = (
    _HELPERS
    + """
if not held(ARGV[2], ARGV[3], ARGV[4]) then return 0 end
release(ARGV[2])
return 1
"""
)

# KEYS: stream, leases, delayed. ARGV: group, entry id, consumer, delivery count, delay ms, member.
_RETRY = (
    _HELPERS
    + """
if not held(ARGV[2], ARGV[3], ARGV[4]) then return 0 end
release(ARGV[2])
redis.call('ZADD', KEYS[3], now_ms() + tonumber(ARGV[5]), ARGV[6])
return 1
"""
)

# KEYS: stream, leases, dead. ARGV: group, entry id, consumer, delivery count, kept, then the letter's field pairs.
_BURY = (
    _HELPERS
    + """
if not held(ARGV[2], ARGV[3], ARGV[4]) then return 0 end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', unpack(ARGV, 6))
release(ARGV[2])
return 1
"""
)

# KEYS: stream. ARGV: a kind and a payload per job. Each job one entry with the fields ``_fields`` gives it, all of
# them in one atomic step and one command: a job costs two arguments and one id in the reply (MULTI, an XADD of
# eight arguments per job and EXEC cost the client a reply more per job).
_ADD = """
local ids = {}
for i = 1, #ARGV, 2 do
  ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'kind', ARGV[i], 'attempts', '0', 'payload', ARGV[i + 1])
end
return ids
"""

# KEYS: delayed. ARGV: delay ms, member. The due time is on the server's clock, like the claim's "now".
_DELAY = _NOW_MS + "redis.call('ZADD', KEYS[1], now_ms() + tonumber(ARGV[1]), ARGV[2])\nreturn 1\n"


class RedisStreamJobQueue:
    def __init__(self, redis: Redis, *, prefix: str = "storegraph:") -> None:
        self._redis = redis
        base = f"{prefix}{{jobs}}:"
        self._stream = f"{base}stream"
        self._leases = f"{base}leases"
        self._delayed = f"{base}delayed"
        self._dead = f"{base}dead"
        self._prune = f"{base}prune"
        self._claim = redis.register_script(_CLAIM)
        self._complete = redis.register_script(_COMPLETE)
        self._retry = redis.register_script(_RETRY)
        self._bury = redis.register_script(_BURY)
        self._delay = redis.register_script(_DELAY)
        self._add = redis.register_script(_ADD)

    async def enqueue(self, kind: str, payload: dict[str, Any], *, delay_seconds: float = 0.0) -> str:
        check_kind(kind)
        if delay_seconds <= 0:
            entry_id = await self._redis.xadd(self._stream, _fields(kind, payload))
            return _text(entry_id)
        # Not an entry yet, so the job gets an id of its own; it keeps it when it is moved into the stream.
        job_id = f"d-{uuid.uuid4().hex}"
        await self._delay(keys=[self._delayed], args=[_ms(delay_seconds), _member(job_id, kind, 0, "", payload)])
        return job_id

    async def enqueue_many(self, jobs: list[tuple[str, dict[str, Any]]]) -> list[str]:
        if not jobs:
            return []
        args: list[EncodableT] = []
        for kind, payload in jobs:
            args.append(check_kind(kind))
            args.append(orjson.dumps(payload))
        # One script: one round trip, and atomic (no other client's command runs between its XADDs).
        entry_ids = await self._add(keys=[self._stream], args=args)
        return [_text(entry_id) for entry_id in entry_ids]

    async def claim(self, worker: str, *, limit: int, lease_seconds: float) -> list[Job]:
        keys = [self._stream, self._leases, self._delayed, self._prune]
        lease = _ms(lease_seconds)
        args: list[EncodableT] = [GROUP, worker, limit, lease, MOVE_BATCH, CONSUMER_IDLE_MS, PRUNE_EVERY_MS]
        rows = await self._claim(keys=keys, args=args)
        return [_job(row, worker) for row in rows]

    async def complete(self, job: Job) -> None:
        await self._complete(keys=[self._stream, self._leases], args=[GROUP, *_claim_of(job)])

    async def retry(self, job: Job, *, delay_seconds: float, error: str) -> None:
        # The member carries the deliveries so far; the next delivery of the new entry adds one to them.
        member = _member(job.id, job.kind, job.attempts, error, job.payload)
        args: list[EncodableT] = [GROUP, *_claim_of(job), _ms(delay_seconds), member]
        await self._retry(keys=[self._stream, self._leases, self._delayed], args=args)

    async def dead_letter(self, job: Job, *, error: str) -> None:
        letter = {**_fields(job.kind, job.payload), "id": job.id, "attempts": job.attempts, "error": _line(error)}
        pairs: list[EncodableT] = [item for pair in letter.items() for item in pair]
        args: list[EncodableT] = [GROUP, *_claim_of(job), DEAD_LETTERS_KEPT, *pairs]
        await self._bury(keys=[self._stream, self._leases, self._dead], args=args)

    async def pending(self) -> int:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self._stream)
            pipe.zcard(self._delayed)
            waiting, delayed = await pipe.execute()
        return int(waiting) + int(delayed)

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        entries = await self._redis.xrange(self._dead, count=limit) or []
        return [_dead_letter(_decode(fields)) for _entry_id, fields in entries]

    async def close(self) -> None:
        """The Redis client belongs to the caller; nothing of the queue's own to release."""


def _fields(kind: str, payload: dict[str, Any]) -> dict[EncodableT, EncodableT]:
    return {"kind": kind, "attempts": 0, "payload": orjson.dumps(payload)}


def _member(job_id: str, kind: str, attempts: int, error: str, payload: dict[str, Any]) -> bytes:
    head = f"{job_id}\n{kind}\n{attempts}\n{_line(error)}\n".encode()
    return head + orjson.dumps(payload)


def _job(row: Sequence[Any], consumer: str) -> Job:
    entry_id, raw_fields, delivered = _text(row[0]), row[1], int(row[2])
    fields = _decode(raw_fields)
    # "id" is absent while the job is the entry it was enqueued as; a moved (delayed, retried) job carries its own.
    job_id = _text(fields.get("id") or entry_id)
    attempts = int(fields.get("attempts") or 0) + delivered
    token = f"{entry_id} {consumer} {delivered}"
    return Job(job_id, _text(fields["kind"]), orjson.loads(fields["payload"]), attempts, token)


def _claim_of(job: Job) -> list[str]:
    """The claim a token names: entry id, consumer, delivery count (neither end holds a space; the middle may)."""
    entry_id, rest = job.token.split(" ", 1)
    consumer, delivered = rest.rsplit(" ", 1)
    return [entry_id, consumer, delivered]


def _dead_letter(fields: dict[str, bytes]) -> DeadLetter:
    return DeadLetter(
        id=_text(fields["id"]),
        kind=_text(fields["kind"]),
        payload=orjson.loads(fields["payload"]),
        attempts=int(fields["attempts"]),
        error=_text(fields.get("error", b"")),
    )


def _decode(raw: Any) -> dict[str, bytes]:
    """Stream fields as {name: value}, from a Lua reply (a flat list) or redis-py's parsed dict."""
    if isinstance(raw, dict):
        return {_text(key): _bytes(value) for key, value in raw.items()}
    return {_text(raw[i]): _bytes(raw[i + 1]) for i in range(0, len(raw), 2)}


def _line(error: str) -> str:
    return " ".join(error.split())[:MAX_ERROR]


def _ms(seconds: float) -> int:
    return max(int(seconds * 1000), 0)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value
