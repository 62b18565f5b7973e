"""What a target stored, checked against what it answered; and the check before measuring."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from typing import Any

import orjson
import redis
from harness.common import HOST, BenchError, say

from tracking.signing import Ledger, Signer
from tracking.targets import EVENTS_KIND, EVENTS_PATH, Setup, pending_jobs, pg_fetch


@dataclasses.dataclass
class Stored:
    jobs: int = 0  # tracking.events jobs in the queue (waiting or running)
    job_event_ids: list[str] = dataclasses.field(default_factory=list)
    processed_ids: list[str] = dataclasses.field(default_factory=list)  # tracked_events rows (the worker stored)
    dead: int = 0
    other_jobs: int = 0
    database_jobs_with_redis: int = 0  # storegraph on Redis: jobs that went to the database queue instead


def take_payload(stored: Stored, kind: str, payload: Any) -> None:
    if kind == EVENTS_KIND:
        stored.jobs += 1
        stored.job_event_ids.extend(item["id"] for item in orjson.loads(payload)["events"])
    elif kind.startswith("dead:"):
        stored.dead += 1
    else:
        stored.other_jobs += 1


def read_stored(setup: Setup, client: redis.Redis | None) -> Stored:
    stored = Stored()
    storegraph = setup.target.kind == "storegraph"
    if setup.target.backend == "sqlite":
        assert setup.sqlite_path is not None
        with contextlib.closing(sqlite3.connect(f"file:{setup.sqlite_path}?mode=ro", uri=True, timeout=30)) as db:
            for kind, payload in db.execute("SELECT kind, payload FROM jobs"):
                take_payload(stored, kind, payload)
            if storegraph:
                stored.processed_ids = [row[0] for row in db.execute("SELECT public_id FROM tracked_events")]
        return stored
    assert client is not None
    length = int(client.xlen(setup.stream))
    low = "-"
    for _page in range(length // 5000 + 2):
        entries = client.xrange(setup.stream, min=low, max="+", count=5000)
        if not entries:
            break
        for _entry_id, fields in entries:
            take_payload(stored, fields[b"kind"].decode(), fields[b"payload"])
        low = f"({entries[-1][0].decode()}"
    stored.dead = int(client.xlen(f"{setup.redis_prefix}{{jobs}}:dead"))
    stored.other_jobs += int(client.zcard(f"{setup.redis_prefix}{{jobs}}:delayed"))
    if storegraph:
        assert setup.dsn is not None
        rows = asyncio.run(pg_fetch(setup.dsn, "SELECT public_id FROM tracked_events"))
        stored.processed_ids = [row["public_id"] for row in rows]
        stored.database_jobs_with_redis = len(asyncio.run(pg_fetch(setup.dsn, "SELECT id FROM jobs")))
    return stored


def verify(setup: Setup, ledger: Ledger, client: redis.Redis | None) -> dict[str, Any]:
    """Every 202's ids must be stored; the stored jobs must lie between the 202s counted and the requests sent."""
    stored = read_stored(setup, client)
    stored_ids = set(stored.job_event_ids) | set(stored.processed_ids)
    missing = len(ledger.ids - stored_ids)
    unanswered = len(stored_ids - ledger.ids)  # stored, but their 202 was never read (in flight when wrk stopped)
    stored_events = len(stored.job_event_ids) + len(stored.processed_ids)
    problems = []
    if missing:
        problems.append(f"{missing} ids answered in a 202 are not stored")
    if ledger.duplicate_ids:
        problems.append(f"{ledger.duplicate_ids} ids were answered twice")
    if ledger.bad_answers:
        problems.append(f"{ledger.bad_answers} answers do not hold one id per event sent")
    if stored_events != len(stored_ids):
        problems.append(f"{stored_events - len(stored_ids)} event ids are stored twice")
    if not ledger.accepted_events <= stored_events <= ledger.issued_events:
        problems.append(
            f"{stored_events} events stored, outside [{ledger.accepted_events} answered, {ledger.issued_events} sent]"
        )
    if not setup.target.worker and not ledger.accepted_requests <= stored.jobs <= ledger.issued_requests:
        problems.append(
            f"{stored.jobs} jobs stored, outside [{ledger.accepted_requests} answered, {ledger.issued_requests} sent]"
        )
    if stored.dead:
        problems.append(f"{stored.dead} dead letters")
    if stored.other_jobs:
        problems.append(f"{stored.other_jobs} other jobs (delayed or of another kind)")
    if stored.database_jobs_with_redis:
        problems.append(f"{stored.database_jobs_with_redis} jobs in the database queue although Redis was set")
    return {
        "answered_requests": ledger.accepted_requests,
        "answered_events": ledger.accepted_events,
        "sent_requests_at_most": ledger.issued_requests,
        "sent_events_at_most": ledger.issued_events,
        "jobs_pending": stored.jobs,
        "events_in_pending_jobs": len(stored.job_event_ids),
        "events_stored_by_worker": len(stored.processed_ids),
        "answered_ids_missing": missing,
        "stored_but_unanswered_ids": unanswered,
        "dead_letters": stored.dead,
        "ok": not problems,
        "problems": problems,
    }


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def preflight(setup: Setup, signer: Signer, ledger: Ledger, client: redis.Redis | None) -> None:
    """One signed request is accepted, the same again is refused; storegraph's plan has no limit; the queue is
    the one the target says."""
    url = f"http://{HOST}:{setup.server.port}{EVENTS_PATH}"
    occurred_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = signer.body(2, occurred_at)
    headers = signer.headers(body, str(int(time.time())))
    status, answer_headers, answer = post(url, body, headers)
    ledger.issued_requests += 1
    ledger.issued_events += 2
    if status != 202:
        raise BenchError(f"{setup.target.name}: a signed POST {EVENTS_PATH} answered {status}: {answer[:2000]!r}")
    ledger.add_answer(answer, 2)
    if setup.target.kind == "storegraph" and "x-ratelimit-limit" in answer_headers:
        raise BenchError(
            f"{setup.target.name}: the answer has X-RateLimit-Limit {answer_headers['x-ratelimit-limit']}: the "
            "PLANS override did not make the plan unlimited"
        )
    replay_status, _, replay = post(url, body, headers)
    if replay_status != 401:
        raise BenchError(f"{setup.target.name}: a replayed signature answered {replay_status}, not 401: {replay!r}")
    if not setup.target.worker:
        queued = pending_jobs(setup, client)
        if queued != 1:
            raise BenchError(f"{setup.target.name}: after one accepted request the queue holds {queued} jobs, not 1")
    if setup.target.kind == "storegraph":
        with urllib.request.urlopen(f"http://{HOST}:{setup.server.port}/readyz", timeout=10) as response:
            checks = orjson.loads(response.read())["checks"]
        if ("redis" in checks) != (setup.target.backend == "redis"):
            raise BenchError(f"{setup.target.name}: /readyz checks {checks}: Redis use is not what the target says")
    held = "the worker takes it from the queue" if setup.target.worker else "the queue holds it"
    say(f"{setup.target.name}: a signed request got 202, its replay 401; {held}")
