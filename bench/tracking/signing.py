"""Pre-signed unique requests, and the ledger of what was handed out and answered."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import itertools
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
from harness.common import HOST

from tracking.targets import EVENT_NAMES, EVENTS_PATH


@dataclasses.dataclass
class Ledger:
    """What the client was told and sent, for the verification: every id returned must be stored."""

    accepted_requests: int = 0  # 202s counted
    accepted_events: int = 0
    issued_requests: int = 0  # handed to wrk's connections: an upper bound of what was sent
    issued_events: int = 0
    bad_answers: int = 0  # a 202 whose "accepted" or ids do not match the events sent
    duplicate_ids: int = 0
    ids: set[str] = dataclasses.field(default_factory=set)

    def add_answer(self, body: bytes, events: int) -> None:
        data = orjson.loads(body)["data"]
        ids = data["ids"]
        if data["accepted"] != events or len(ids) != events:
            self.bad_answers += 1
        for event_id in ids:
            if event_id in self.ids:
                self.duplicate_ids += 1
            self.ids.add(event_id)
        self.accepted_requests += 1
        self.accepted_events += events


class Signer:
    """Signs requests as docs/tracking.md says, each body unique (a run tag and a sequence number), so no two
    requests ever share a signature, even within one second."""

    def __init__(self, public_key: str, secret: str, port: int, tag: str) -> None:
        self.public_key = public_key
        self.secret = secret.encode()
        self.port = port
        self.tag = tag
        self.sequence = itertools.count(1)

    def body(self, events: int, occurred_at: str) -> bytes:
        items = []
        for _ in range(events):
            seq = next(self.sequence)
            items.append(
                {
                    "event": EVENT_NAMES[seq % len(EVENT_NAMES)],
                    "properties": {"path": f"/products/{seq % 500}", "seq": seq, "run": self.tag},
                    "occurred_at": occurred_at,
                }
            )
        return orjson.dumps(items[0] if events == 1 else {"events": items})

    def headers(self, body: bytes, timestamp: str) -> dict[str, str]:
        digest = hashlib.sha256(body).hexdigest()
        signature = hmac.new(self.secret, f"{timestamp}.{digest}".encode(), hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-DZ-Key": self.public_key,
            "X-DZ-Timestamp": timestamp,
            "X-DZ-Signature": signature,
        }

    def raw_request(self, events: int, occurred_at: str) -> bytes:
        body = self.body(events, occurred_at)
        headers = self.headers(body, str(int(time.time())))
        head = f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        return head.encode() + body

    def write(self, prefix: Path, threads: int, count: int, events: int) -> float:
        """``count`` signed requests, dealt round-robin into ``<prefix>.<thread>`` (events.lua's format); returns
        the seconds it took."""
        started = time.monotonic()
        occurred_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        with contextlib.ExitStack() as stack:
            files = [stack.enter_context(Path(f"{prefix}.{thread}").open("wb")) for thread in range(threads)]
            for number in range(count):
                raw = self.raw_request(events, occurred_at)
                files[number % threads].write(b"%d\n%s" % (len(raw), raw))
        return time.monotonic() - started
