"""Benchmark storegraph against a raw Starlette + asyncpg handler on the same data, in the same run.

    .venv/bin/python bench/run.py [--rounds 3 --duration 10 --connections 32 \
        --customers 5000 --orders 50000 --skip-load --profile --workloads nested,list,one,rest_list]

See bench/README.md for what is measured and how to read the output. In short:

1. (unless --skip-load) recreate the PostgreSQL database ``storegraph_bench``, fill it with
   ``storegraph demo`` and VACUUM ANALYZE it; the store id and key go to bench/results/state.json.
2. Start both servers (pinned to the server CPU), check that they return the same ``data`` for every
   workload (fail loudly with a diff otherwise), stop them.
3. For storegraph, then the baseline: start the server alone, and for each workload run a wrk warm-up and
   ``--rounds`` measured rounds with wrk pinned to the load CPU; stop the server. A workload that measures two
   requests on one server (``rest_list``: ``GET /v1/customers`` and the same operation on ``/graphql``)
   alternates them round by round.
4. Print the tables (median req/s, ratios, p50/p99) and write bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import difflib
import functools
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
STATE_FILE = RESULTS_DIR / "state.json"
WRK_SCRIPT = BENCH_DIR / "request.lua"
VENV_BIN = Path(sys.executable).parent

HOST = "127.0.0.1"
STOREGRAPH_PORT = 8101
BASELINE_PORT = 8102

NESTED_QUERY = (
    "query Bench($first: Int!) { customers(first: $first) { edges { node { id firstName lastName phone "
    "totalOrders totalSpent orders(first: 5) { edges { node { id orderNumber status total createdAt } } } "
    "} } } }"
)
LIST_QUERY = (
    "query BenchList($first: Int!) { customers(first: $first) { edges { node { id firstName lastName phone "
    "email totalOrders totalSpent createdAt } } } }"
)
ONE_QUERY = (
    "query BenchOne($id: ID!) { customer(id: $id) { id firstName lastName phone email totalOrders "
    "totalSpent createdAt } }"
)

# The REST workload: this row of rest_compat/table.py, called with this query string.
REST_ROW = "ListCustomers"
REST_PATH = "/v1/customers"
REST_QUERY = {"limit": "50"}


class BenchError(Exception):
    """A failure that ends the run with a clear message (and exit status 1)."""


# --------------------------------------------------------------------------------------------- workloads


@dataclasses.dataclass(frozen=True)
class State:
    database: str
    database_url: str  # SQLAlchemy URL for storegraph
    dsn: str  # plain libpq URL for asyncpg
    store_id: int
    key: str
    customer_id: int  # the one-customer-by-id workload's customer


@dataclasses.dataclass(frozen=True)
class Probe:
    """One request of a workload, sent to one server and measured on its own."""

    workload: str
    key: str  # its figures' key in the results: "storegraph" / "baseline", or "rest" / "graphql" / "baseline"
    label: str  # how progress lines name it
    server: str  # "storegraph" or "baseline"
    method: str  # "GET", or "POST" with ``body`` (bench/request.lua sends either)
    path: str  # with the query string
    body: bytes | None = None

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"server": self.server, "method": self.method, "path": self.path}
        if self.body is not None:
            described["body"] = orjson.loads(self.body)
        return described


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    raw: bytes
    payload: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    title: str
    # "graphql": storegraph's /graphql against the baseline (keys "storegraph", "baseline");
    # "rest": storegraph's /v1 route against the same operation on its /graphql and the baseline's REST route
    # (keys "rest", "graphql", "baseline").
    kind: str
    probes: Callable[[State], list[Probe]]
    # Every probe's answer by key: the same data where they must be (BenchError with a diff otherwise) and not
    # trivially empty; returns a summary for the progress line.
    check: Callable[[dict[str, Answer], State], str]
    describe: Callable[[State], dict[str, Any]]  # what the results JSON records of the requests


def _pretty(value: Any) -> list[str]:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode().splitlines()


def require_same(ours: Any, theirs: Any, names: tuple[str, str], what: str) -> None:
    """Stops the run with a unified diff when ``ours`` and ``theirs`` differ."""
    if ours == theirs:
        return
    diff = difflib.unified_diff(_pretty(ours), _pretty(theirs), fromfile=names[0], tofile=names[1], lineterm="", n=2)
    lines = list(diff)
    shown = "\n".join(lines[:120]) + (f"\n... ({len(lines) - 120} more diff lines)" if len(lines) > 120 else "")
    raise BenchError(f"{what}:\n{shown}")


def _check_nested(data: dict[str, Any], _state: State) -> str:
    edges = data["customers"]["edges"]
    orders = sum(len(edge["node"]["orders"]["edges"]) for edge in edges)
    if len(edges) != 50 or orders == 0:
        raise BenchError(f"nested workload returned {len(edges)} customers and {orders} orders; expected 50 and >0")
    return f"{len(edges)} customers, {orders} orders"


def _check_list(data: dict[str, Any], _state: State) -> str:
    edges = data["customers"]["edges"]
    if len(edges) != 50:
        raise BenchError(f"list workload returned {len(edges)} customers; expected 50")
    return f"{len(edges)} customers"


def _check_one(data: dict[str, Any], state: State) -> str:
    customer = data["customer"]
    if customer is None or customer["id"] != str(state.customer_id):
        raise BenchError(f"one-customer workload did not return customer {state.customer_id}: {customer!r}")
    return f"customer {customer['id']}"


def graphql_workload(
    name: str,
    title: str,
    query: str,
    variables: Callable[[State], dict[str, Any]],
    check_data: Callable[[dict[str, Any], State], str],
) -> Workload:
    """The same GraphQL request to storegraph's /graphql and to the baseline's ``/graphql?w=<name>``."""

    def probes(state: State) -> list[Probe]:
        body = orjson.dumps({"query": query, "variables": variables(state)})
        return [
            Probe(name, "storegraph", "storegraph", "storegraph", "POST", "/graphql", body),
            Probe(name, "baseline", "baseline", "baseline", "POST", f"/graphql?w={name}", body),
        ]

    def check(answers: dict[str, Answer], state: State) -> str:
        ours, ceiling = answers["storegraph"].payload["data"], answers["baseline"].payload["data"]
        summary = check_data(ours, state)
        require_same(
            ours, ceiling, ("storegraph", "baseline"), f"the {name} workload's data differ between the servers"
        )
        return summary

    return Workload(
        name,
        title,
        "graphql",
        probes,
        check,
        lambda state: {"query": query, "variables": variables(state)},
    )


@functools.cache
def rest_row() -> Any:
    """The compiled ``ListCustomers`` row, as the app compiles it at start-up (rest_compat.handler.compile_table):
    its GraphQL document is what ``GET /v1/customers`` runs, so the /graphql request cannot drift from it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from rest_compat.handler import compile_table
    from schema.core.build import build_schema
    from schema.core.cost import CostLimits
    from storegraph.settings import Settings

    schema = build_schema(CostLimits.from_settings(Settings()))
    for compiled in compile_table(schema._schema):
        if compiled.endpoint.name == REST_ROW:
            return compiled
    raise BenchError(f"rest_compat/table.py has no row {REST_ROW}")


def rest_request() -> tuple[str, dict[str, Any]]:
    """The REST path with its query string, and the GraphQL request the REST layer makes of it (what
    rest_compat/handler.py does: the row's query model validates the query string, the row maps it to
    variables)."""
    compiled = rest_row()
    row = compiled.endpoint
    if row.method != "GET" or row.path != REST_PATH or row.query is None:
        raise BenchError(f"{REST_ROW} is no longer GET {REST_PATH} with a query string: update bench/run.py")
    query = row.query.model_validate(REST_QUERY).model_dump(mode="json")
    variables = compiled.variables({}, query, None)
    path = f"{REST_PATH}?{'&'.join(f'{name}={value}' for name, value in REST_QUERY.items())}"
    return path, {"query": compiled.document, "variables": variables, "operationName": row.name}


def _rest_probes(state: State) -> list[Probe]:
    path, graphql = rest_request()
    return [
        Probe("rest_list", "rest", "storegraph REST", "storegraph", "GET", path),
        Probe("rest_list", "graphql", "storegraph GraphQL", "storegraph", "POST", "/graphql", orjson.dumps(graphql)),
        Probe("rest_list", "baseline", "baseline", "baseline", "GET", path),
    ]


def _envelope_outline(payload: dict[str, Any]) -> dict[str, Any]:
    """What of a REST list envelope must match beyond the items: its keys, ``has_more`` and whether there is a
    ``next_cursor`` (each server's cursor is its own), ``meta.api_version`` and that there is a request id."""
    data, meta = payload.get("data") or {}, payload.get("meta") or {}
    return {
        "keys": sorted(payload),
        "data_keys": sorted(data),
        "meta_keys": sorted(meta),
        "has_more": data.get("has_more"),
        "next_cursor": "<a string>" if isinstance(data.get("next_cursor"), str) else data.get("next_cursor"),
        "api_version": meta.get("api_version"),
        "request_id": "<a string>" if isinstance(meta.get("request_id"), str) else meta.get("request_id"),
    }


def _check_rest_list(answers: dict[str, Answer], _state: State) -> str:
    rest, graphql, baseline = (answers[key].payload for key in ("rest", "graphql", "baseline"))
    items = rest["data"]["items"]
    if len(items) != 50:
        raise BenchError(f"GET {REST_PATH} returned {len(items)} customers; expected 50")
    require_same(
        items,
        baseline["data"]["items"],
        ("storegraph REST", "baseline"),
        "the rest_list workload's data.items differ between storegraph and the baseline",
    )
    require_same(
        _envelope_outline(rest),
        _envelope_outline(baseline),
        ("storegraph REST", "baseline"),
        "the rest_list workload's envelopes differ between storegraph and the baseline",
    )
    nodes = graphql["data"]["customers"]["nodes"]
    require_same(
        [item["id"] for item in items],
        [int(node["id"]) for node in nodes],
        ("storegraph REST", "storegraph GraphQL"),
        "the REST items and the /graphql answer to the same operation are not the same customers",
    )
    # The GraphQL answer, converted as the REST layer converts it, must be the REST items themselves.
    require_same(
        items,
        [rest_row().convert(node) for node in nodes],
        ("storegraph REST", "storegraph GraphQL, converted"),
        "the REST items are not the /graphql answer converted by the row's fragment",
    )
    page_info = graphql["data"]["customers"]["pageInfo"]
    if page_info["hasNextPage"] != rest["data"]["has_more"]:
        raise BenchError(f"has_more {rest['data']['has_more']} but /graphql's hasNextPage {page_info['hasNextPage']}")
    return f"{len(items)} customers, the same in all three; has_more {rest['data']['has_more']}"


def _describe_rest(_state: State) -> dict[str, Any]:
    path, graphql = rest_request()
    return {"rest_request": f"GET {path}", "graphql_request": graphql}


WORKLOADS: dict[str, Workload] = {
    workload.name: workload
    for workload in (
        graphql_workload(
            "nested", "50 customers x newest 5 orders", NESTED_QUERY, lambda _s: {"first": 50}, _check_nested
        ),
        graphql_workload("list", "list 50 customers", LIST_QUERY, lambda _s: {"first": 50}, _check_list),
        graphql_workload(
            "one", "one customer by id", ONE_QUERY, lambda state: {"id": str(state.customer_id)}, _check_one
        ),
        Workload("rest_list", "GET /v1/customers?limit=50", "rest", _rest_probes, _check_rest_list, _describe_rest),
    )
}


def body_file(probe: Probe) -> Path:
    return RESULTS_DIR / f"body_{probe.workload}_{probe.key}.json"


# ------------------------------------------------------------------------------------------------ output


def say(message: str) -> None:
    print(message, flush=True)


def step(message: str) -> None:
    say(f"\n== {message}")


# ------------------------------------------------------------------------------------------------ checks


def check_tools(args: argparse.Namespace) -> None:
    if shutil.which("taskset") is None:
        raise BenchError("taskset is not installed (Debian: apt-get install util-linux); it pins server and load")
    cpus = os.sched_getaffinity(0)
    for option, cpu in (("--server-cpu", args.server_cpu), ("--load-cpu", args.load_cpu)):
        if cpu not in cpus:
            raise BenchError(f"{option} {cpu} is not a CPU this process may use (available: {sorted(cpus)})")
    if args.server_cpu == args.load_cpu:
        say(f"warning: server and load share CPU {args.server_cpu}; figures will not compare with the peers'")
    if shutil.which("wrk") is None:
        say("wrk is not installed.")
        if os.geteuid() == 0 and shutil.which("apt-get"):
            say("installing it: apt-get update && apt-get install -y wrk")
            subprocess.run(["apt-get", "update"], check=True)
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
        if shutil.which("wrk") is None:
            raise BenchError("wrk is required: install it (Debian: sudo apt-get install -y wrk) and re-run")
    if args.profile and not (VENV_BIN / "py-spy").exists() and shutil.which("py-spy") is None:
        raise BenchError(f"--profile needs py-spy: {VENV_BIN / 'pip'} install py-spy")


def executable(name: str) -> str:
    candidate = VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"{name} not found next to {sys.executable} nor on PATH")
    return found


# ------------------------------------------------------------------------------------------------- data


async def _recreate_database(admin_dsn: str, database: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


async def _after_load(dsn: str, store_id: int) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        # Stable plans and visibility maps, so that round 1 does not measure autovacuum.
        await connection.execute("VACUUM ANALYZE")
        return await _counts(connection, store_id)
    finally:
        await connection.close()


async def _counts(connection: asyncpg.Connection, store_id: int) -> dict[str, int]:
    customers = await connection.fetchval("SELECT count(*) FROM customers WHERE store_id = $1", store_id)
    orders = await connection.fetchval("SELECT count(*) FROM orders WHERE store_id = $1", store_id)
    return {"customers": customers, "orders": orders}


async def _inspect(dsn: str, store_id: int) -> tuple[dict[str, int], int]:
    """Row counts, and a customer from the middle of the list for the one-customer-by-id workload."""
    try:
        connection = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        raise BenchError(f"database in {dsn} does not exist: run without --skip-load") from None
    try:
        counts = await _counts(connection, store_id)
        customer_id = await connection.fetchval(
            "SELECT id FROM customers WHERE store_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1",
            store_id,
            counts["customers"] // 2,
        )
    finally:
        await connection.close()
    if customer_id is None:
        raise BenchError(f"store {store_id} has no customers: run without --skip-load")
    return counts, customer_id


def _demo_json(stdout: str) -> dict[str, Any]:
    """The JSON object ``storegraph demo`` prints; progress output may surround it on the same stream."""
    decoder = json.JSONDecoder()
    starts = [match.start() for match in re.finditer(r"^\{", stdout, re.MULTILINE)]
    for start in reversed(starts):
        try:
            created, _ = decoder.raw_decode(stdout, start)
        except json.JSONDecodeError:
            continue
        if isinstance(created, dict) and "store_id" in created and "key" in created:
            return created
    raise BenchError(f"storegraph demo printed no JSON object with store_id and key on stdout:\n{stdout}")


def load_data(args: argparse.Namespace, database_url: str, dsn: str) -> dict[str, Any]:
    step(f"loading data: database {args.database}, {args.customers} customers, {args.orders} orders")
    asyncio.run(_recreate_database(f"{args.pg}/postgres", args.database))
    command = [
        executable("storegraph"),
        "demo",
        "--customers",
        str(args.customers),
        "--orders",
        str(args.orders),
        "--products",
        str(args.products),
    ]
    say(f"$ DATABASE_URL={database_url} {' '.join(command)}")
    started = time.monotonic()
    # stdout carries the JSON answer (and maybe progress bars): pass it through while keeping a copy.
    # stderr (progress, errors) goes straight to the terminal.
    demo = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        assert demo.stdout is not None
        for line in demo.stdout:
            output.append(line)
            print(line, end="", flush=True)
        demo.wait()
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGTERM)
            demo.wait(timeout=15)
    if demo.returncode != 0:
        raise BenchError(f"storegraph demo failed with exit status {demo.returncode} (its output is above)")
    created = _demo_json("".join(output))
    counts = asyncio.run(_after_load(dsn, int(created["store_id"])))
    say(f"loaded in {time.monotonic() - started:.0f} s: store {created['store_id']}, {counts}")
    state = {
        "database": args.database,
        "database_url": database_url,
        "store_id": int(created["store_id"]),
        "key": created["key"],
        "requested": {"customers": args.customers, "orders": args.orders, "products": args.products},
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    STATE_FILE.write_text(json.dumps(state, indent=2) + "\n")
    return state


def prepare_state(args: argparse.Namespace) -> tuple[State, dict[str, int]]:
    database_url = f"{args.pg.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{args.database}"
    dsn = f"{args.pg}/{args.database}"
    if args.skip_load:
        if not STATE_FILE.exists():
            raise BenchError(f"--skip-load needs {STATE_FILE.relative_to(ROOT)}: run once without --skip-load")
        saved = json.loads(STATE_FILE.read_text())
        if saved.get("database") != args.database:
            raise BenchError(
                f"{STATE_FILE.relative_to(ROOT)} is for database {saved.get('database')!r}, "
                f"not {args.database!r}: run without --skip-load"
            )
        step(f"reusing database {args.database} (store {saved['store_id']}, loaded {saved.get('loaded_at')})")
    else:
        saved = load_data(args, database_url, dsn)
    counts, customer_id = asyncio.run(_inspect(dsn, int(saved["store_id"])))
    say(f"store {saved['store_id']}: {counts['customers']} customers, {counts['orders']} orders")
    state = State(
        database=args.database,
        database_url=database_url,
        dsn=dsn,
        store_id=int(saved["store_id"]),
        key=saved["key"],
        customer_id=int(customer_id),
    )
    return state, counts


# ---------------------------------------------------------------------------------------------- servers


@dataclasses.dataclass
class Server:
    name: str
    port: int
    command: list[str]
    env: dict[str, str]
    ready_path: str
    headers: dict[str, str]  # sent with every benchmark request
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def url(self, probe: Probe) -> str:
        return f"http://{HOST}:{self.port}{probe.path}"


_RUNNING: list[Server] = []


# The benchmark measures the read path, not the limits: the demo store's plan (enterprise) gets no request limits
# and every key a query-cost bucket that never runs dry (the contract: "a benchmark needs a plan without limits").
UNLIMITED = {
    "PLANS": '{"enterprise": {"requests_per_minute": null, "requests_per_month": null,'
    ' "signups_per_month": null, "webhooks_per_month": null}}',
    "COST_BUCKET_SIZE": str(2**31 - 1),
    "COST_RESTORE_RATE": str(2**31 - 1),
}


def servers_for(state: State, args: argparse.Namespace) -> tuple[Server, Server]:
    pin = ["taskset", "-c", str(args.server_cpu)]
    uvicorn = executable("uvicorn")
    common = ["--host", HOST, "--no-access-log", "--log-level", "warning"]
    storegraph = Server(
        name="storegraph",
        port=STOREGRAPH_PORT,
        command=[*pin, uvicorn, "storegraph.app:create_app", "--factory", "--port", str(STOREGRAPH_PORT), *common],
        env={"DATABASE_URL": state.database_url, **UNLIMITED},
        ready_path="/healthz",
        headers={"Authorization": f"Bearer {state.key}"},
    )
    baseline = Server(
        name="baseline",
        port=BASELINE_PORT,
        command=[
            *pin,
            uvicorn,
            "--app-dir",
            str(BENCH_DIR),
            "baseline_app:app",
            "--port",
            str(BASELINE_PORT),
            *common,
        ],
        env={
            "BENCH_PG_DSN": state.dsn,
            "BENCH_STORE_ID": str(state.store_id),
            "BENCH_POOL_SIZE": str(args.connections),
        },
        ready_path="/healthz",
        headers={},
    )
    return storegraph, baseline


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def _log_tail(server: Server, lines: int = 40) -> str:
    if server.log_path is None or not server.log_path.exists():
        return "(no log)"
    text = server.log_path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:]) or "(empty log)"


def start(server: Server, timeout: float = 60.0) -> None:
    if _port_in_use(server.port):
        raise BenchError(f"port {server.port} is already in use; stop whatever listens there ({server.name})")
    server.log_path = RESULTS_DIR / f"{server.name}.log"
    log = server.log_path.open("wb")
    server.process = subprocess.Popen(
        server.command,
        cwd=ROOT,
        env={**os.environ, **server.env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() can take everything it started
    )
    log.close()
    _RUNNING.append(server)
    deadline = time.monotonic() + timeout
    url = f"http://{HOST}:{server.port}{server.ready_path}"
    while True:
        if server.process.poll() is not None:
            raise BenchError(
                f"{server.name} exited with status {server.process.returncode} while starting:\n{_log_tail(server)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise BenchError(f"{server.name} not ready after {timeout:.0f} s:\n{_log_tail(server)}")
        time.sleep(0.2)
    say(f"{server.name} ready on port {server.port} (pid {server.process.pid}, log {server.log_path})")


def stop(server: Server) -> None:
    process = server.process
    if process is None:
        return
    server.process = None
    if server in _RUNNING:
        _RUNNING.remove(server)
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def stop_all() -> None:
    for server in list(_RUNNING):
        stop(server)


@contextlib.contextmanager
def running(*servers: Server) -> Iterator[None]:
    try:
        for server in servers:
            start(server)
        yield
    finally:
        for server in servers:
            stop(server)


# ----------------------------------------------------------------------------------------------- checks


def send_request(server: Server, probe: Probe) -> tuple[int, bytes]:
    headers = {"Accept": "application/json", **server.headers}
    if probe.body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(server.url(probe), data=probe.body, method=probe.method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def check_same_data(
    servers: dict[str, Server], workloads: list[Workload], probes: dict[str, list[Probe]], state: State
) -> dict[str, Any]:
    """Both servers must return the same ``data`` for every workload; otherwise the comparison is void."""
    step("checking that storegraph and the baseline return the same data")
    sizes: dict[str, Any] = {}
    for workload in workloads:
        answers: dict[str, Answer] = {}
        for probe in probes[workload.name]:
            status, raw = send_request(servers[probe.server], probe)
            what = f"{probe.label} answered {status} to the {workload.name} workload ({probe.method} {probe.path})"
            if status != 200:
                raise BenchError(f"{what}:\n{raw.decode(errors='replace')[:4000]}")
            try:
                payload = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise BenchError(f"{probe.label} answered non-JSON: {raw[:2000]!r}") from None
            if (
                not isinstance(payload, dict)
                or payload.get("errors")
                or payload.get("error")
                or not isinstance(payload.get("data"), dict)
            ):
                raise BenchError(f"{what} with errors or without data:\n{raw.decode(errors='replace')[:4000]}")
            answers[probe.key] = Answer(status, raw, payload)
        summary = workload.check(answers, state)
        identical = len({answer.raw for answer in answers.values()}) == 1
        sizes[workload.name] = {key: len(answer.raw) for key, answer in answers.items()}
        say(
            f"{workload.name:9} same data ({summary}); bodies "
            f"{' / '.join(str(len(answer.raw)) for answer in answers.values())} bytes"
            f" ({' / '.join(answers)}){', byte-identical' if identical else ''}"
        )
    return sizes


# ------------------------------------------------------------------------------------------------- load

_UNIT_US = {"us": 1.0, "ms": 1000.0, "s": 1_000_000.0, "m": 60_000_000.0}


def _latency_us(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(text)
    return float(match.group(1)) * _UNIT_US[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, latency percentiles and errors from wrk's report and the BENCH_JSON line of request.lua."""
    marker = re.search(r"^BENCH_JSON (\{.*\})$", output, re.MULTILINE)
    if marker is None:
        raise BenchError(f"wrk output has no BENCH_JSON line (is bench/request.lua in use?):\n{output}")
    detail: dict[str, Any] = json.loads(marker.group(1))
    rps_match = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    duration_s = detail["duration_us"] / 1e6
    rps = float(rps_match.group(1)) if rps_match else detail["requests"] / duration_s
    printed = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.MULTILINE))
    latency = detail["latency_us"]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": rps,
        "requests": detail["requests"],
        "duration_s": round(duration_s, 3),
        "bytes_per_response": round(detail["bytes"] / detail["requests"]) if detail["requests"] else 0,
        # The Lua script's exact figures; wrk's --latency table (rounded) is kept as printed for reference.
        "p50_ms": latency["p50"] / 1000,
        "p90_ms": latency["p90"] / 1000,
        "p99_ms": latency["p99"] / 1000,
        "mean_ms": latency["mean"] / 1000,
        "max_ms": latency["max"] / 1000,
        "wrk_latency_distribution_ms": {k: round(_latency_us(v) / 1000, 3) for k, v in printed.items()},
        "errors": {**detail["errors"], "non_2xx": int(non_2xx.group(1)) if non_2xx else 0},
    }


def _cpu_ticks(cpu: int) -> tuple[int, int, int, int]:
    """(busy, busy in processes, total, steal) clock ticks of one CPU since boot, from /proc/stat.

    "Busy in processes" is user + nice + system: what processes' utime/stime can account for. Interrupt and
    softirq time (the loopback network stack works there) is busy but belongs to no process.
    """
    for line in Path("/proc/stat").read_text().splitlines():
        fields = line.split()
        if fields[0] == f"cpu{cpu}":
            user, nice, system, idle, iowait, irq, softirq, steal = (int(value) for value in fields[1:9])
            total = user + nice + system + idle + iowait + irq + softirq + steal
            return total - idle - iowait, user + nice + system, total, steal
    raise BenchError(f"cpu{cpu} not found in /proc/stat")


def _process_ticks(pid: int | None) -> int:
    """utime + stime of a process (all its threads), in clock ticks; 0 if unknown."""
    if pid is None:
        return 0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


@dataclasses.dataclass
class CpuWatch:
    """Share of the server CPU used by anything other than the measured server, and the load CPU's use."""

    server_cpu: int
    load_cpu: int
    pid: int | None

    def __post_init__(self) -> None:
        self.start = (_cpu_ticks(self.server_cpu), _cpu_ticks(self.load_cpu), _process_ticks(self.pid))

    def read(self) -> dict[str, float]:
        (server_busy0, server_proc0, server_total0, steal0), (load_busy0, _, load_total0, _), pid0 = self.start
        server_busy1, server_proc1, server_total1, steal1 = _cpu_ticks(self.server_cpu)
        load_busy1, _, load_total1, _ = _cpu_ticks(self.load_cpu)
        server_total = max(server_total1 - server_total0, 1)
        others = server_proc1 - server_proc0 - (_process_ticks(self.pid) - pid0)
        return {
            "server_cpu_busy_pct": round(100 * (server_busy1 - server_busy0) / server_total, 1),
            "server_cpu_others_pct": round(100 * max(others, 0) / server_total, 1),
            "server_cpu_steal_pct": round(100 * (steal1 - steal0) / server_total, 1),
            "load_cpu_busy_pct": round(100 * (load_busy1 - load_busy0) / max(load_total1 - load_total0, 1), 1),
        }


async def _backend_pids(dsn: str, database: str) -> list[int]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", database
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


def pin_postgres(state: State, args: argparse.Namespace) -> int:
    """Pins the PostgreSQL backends serving the benchmark database to the load CPU; returns how many.

    Only this database's backends are touched (the servers' pooled connections), so other users of the
    PostgreSQL instance are unaffected. Unpinned, the kernel runs some of them on the server CPU, where they
    take time from the measured server.
    """
    if not args.pin_postgres:
        return 0
    pinned = 0
    for pid in asyncio.run(_backend_pids(state.dsn, state.database)):
        result = subprocess.run(["taskset", "-p", "-c", str(args.load_cpu), str(pid)], capture_output=True, text=True)
        if result.returncode == 0:
            pinned += 1
        elif not getattr(args, "_pin_warned", False):
            args._pin_warned = True
            say(f"   warning: cannot pin PostgreSQL backend {pid}: {result.stderr.strip()} (run as root?)")
    return pinned


def wait_until_quiet(server: Server, args: argparse.Namespace) -> float:
    """Waits (up to --quiet-wait s) until other processes use < --quiet-threshold % of either CPU."""
    deadline = time.monotonic() + args.quiet_wait
    warned = False
    while True:
        watch = CpuWatch(args.server_cpu, args.load_cpu, server.process.pid if server.process else None)
        time.sleep(1.0)
        usage = watch.read()
        # The idle server's own ticks are excluded on its CPU; on the load CPU all use is someone else's.
        others = max(usage["server_cpu_others_pct"], usage["load_cpu_busy_pct"])
        if others < args.quiet_threshold:
            return others
        if time.monotonic() > deadline:
            say(f"   warning: other processes still use {others:.0f}% of a benchmark CPU; measuring anyway")
            return others
        if not warned:
            say(f"   waiting for other processes to calm down ({others:.0f}% of a benchmark CPU in use)")
            warned = True


def wrk_command(args: argparse.Namespace, duration: float, script: Path, url: str) -> list[str]:
    """wrk pinned to the load CPU, with the run's threads, connections and timeout, driven by ``script``."""
    return [
        "taskset",
        "-c",
        str(args.load_cpu),
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration:g}s",
        f"--timeout={args.timeout:g}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]


def run_wrk(server: Server, probe: Probe, args: argparse.Namespace, duration: float) -> dict[str, Any]:
    command = wrk_command(args, duration, WRK_SCRIPT, server.url(probe))
    env = {**os.environ, "BENCH_KEY": server.headers.get("Authorization", "").removeprefix("Bearer ")}
    # request.lua POSTs when it is given a body file, and GETs otherwise.
    env.pop("BENCH_BODY_FILE", None)
    if probe.body is not None:
        env["BENCH_BODY_FILE"] = str(body_file(probe))
    watch = CpuWatch(args.server_cpu, args.load_cpu, server.process.pid if server.process else None)
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration + 120)
    usage = watch.read()
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    if server.process is not None and server.process.poll() is not None:
        raise BenchError(f"{server.name} died under load:\n{_log_tail(server)}")
    figures = parse_wrk(result.stdout)
    errors = figures["errors"]
    if errors["status"] or errors["non_2xx"]:
        status, answer = send_request(server, probe)
        raise BenchError(
            f"{probe.label} answered non-2xx under load ({errors}); a request now gives {status}:\n"
            f"{answer.decode(errors='replace')[:2000]}\n\nwrk said:\n{result.stdout}"
        )
    if any(errors[kind] for kind in ("connect", "read", "write", "timeout")):
        say(f"   warning: socket errors {errors} (see wrk output in latest.json)")
    figures["cpu"] = usage
    if usage["server_cpu_others_pct"] >= args.quiet_threshold:
        say(f"   warning: other processes took {usage['server_cpu_others_pct']:.0f}% of the server CPU in this run")
    figures["wrk_output"] = result.stdout
    return figures


def _median_figures(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "rps": statistics.median(r["rps"] for r in rounds),
        "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
        "bytes_per_response": rounds[0]["bytes_per_response"],
        "server_cpu_busy_pct": statistics.median(r["cpu"]["server_cpu_busy_pct"] for r in rounds),
        "load_cpu_busy_pct": statistics.median(r["cpu"]["load_cpu_busy_pct"] for r in rounds),
        "max_interference_pct": max(r["cpu"]["server_cpu_others_pct"] for r in rounds),
        "rounds": rounds,
    }


def measure(
    server: Server, workloads: list[Workload], probes: dict[str, list[Probe]], state: State, args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    """Per workload, the figures of each of its probes on this server (by probe key). Several probes of one
    workload on this server (REST and GraphQL) are measured round by round in turn, so that the VM's drift
    from minute to minute touches each alike, and in alternating order."""
    step(f"measuring {server.name} alone (pinned to CPU {args.server_cpu}; wrk on CPU {args.load_cpu})")
    measured: dict[str, dict[str, Any]] = {}
    with running(server):
        for workload in workloads:
            mine = [probe for probe in probes[workload.name] if probe.server == server.name]
            if args.warmup > 0:
                for probe in mine:
                    warm = run_wrk(server, probe, args, args.warmup)
                    say(f"{probe.label:18} {workload.name:9} warm-up {args.warmup:g} s: {warm['rps']:9.1f} req/s")
            rounds: dict[str, list[dict[str, Any]]] = {probe.key: [] for probe in mine}
            for number in range(1, args.rounds + 1):
                # A B, B A, A B, ...: neither always runs first after the wait for quiet.
                for probe in mine if number % 2 else mine[::-1]:
                    for attempt in range(args.retries + 1):
                        pinned = pin_postgres(state, args)
                        background = wait_until_quiet(server, args)
                        figures = run_wrk(server, probe, args, args.duration)
                        figures["background_before_pct"] = background
                        figures["postgres_backends_pinned"] = pinned
                        figures["discarded_before"] = attempt
                        if figures["cpu"]["server_cpu_others_pct"] < args.quiet_threshold or attempt == args.retries:
                            break
                        say(f"   discarding round {number}: other processes used the server CPU; measuring it again")
                    rounds[probe.key].append(figures)
                    cpu = figures["cpu"]
                    say(
                        f"{probe.label:18} {workload.name:9} round {number}/{args.rounds}: {figures['rps']:9.1f} req/s"
                        f"  p50 {figures['p50_ms']:8.2f} ms  p99 {figures['p99_ms']:8.2f} ms"
                        f"  (server CPU {cpu['server_cpu_busy_pct']:.0f}% busy,"
                        f" {cpu['server_cpu_others_pct']:.0f}% others; load CPU {cpu['load_cpu_busy_pct']:.0f}%)"
                    )
            measured[workload.name] = {key: _median_figures(figures) for key, figures in rounds.items()}
    return measured


# ---------------------------------------------------------------------------------------------- profile


_OWN_PACKAGES = {"storegraph", "db", "schema", "resolvers", "middleware", "domain", "rest_compat"}


def _package_of(frame: str) -> str:
    """``Session.execute (sqlalchemy/orm/session.py)`` -> ``sqlalchemy``; storegraph's own code is marked."""
    match = re.search(r"\(([^()]*)\)$", frame)
    path = match.group(1) if match else frame
    top = path.split("/", 1)[0] if "/" in path else path.removesuffix(".py")
    return f"storegraph: {top}/" if top in _OWN_PACKAGES else top


def _summarise_profile(raw: Path, top: int = 30) -> str:
    """Self and inclusive sample counts per function from py-spy's collapsed-stack ("raw") output."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]  # merge lines of a function
        total += count
        own[frames[-1]] += count
        packages[_package_of(frames[-1])] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return "(no samples)"
    lines = [f"{total} samples (C code is counted in the Python frame that called it)", "", "self %  package"]
    lines += [f"{100 * n / total:6.1f}  {package}" for package, n in packages.most_common()]
    lines += ["", "self %  function (file)"]
    lines += [f"{100 * n / total:6.1f}  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "incl %  function (file)"]
    lines += [f"{100 * n / total:6.1f}  {frame}" for frame, n in inclusive.most_common(top)]
    return "\n".join(lines)


def profile(server: Server, probe: Probe, state: State, args: argparse.Namespace) -> dict[str, str]:
    """Samples the server with py-spy during one extra load period (not part of the measured figures)."""
    step(f"profiling {probe.label} on the {probe.workload} workload with py-spy ({args.duration:g} s)")
    py_spy = str(VENV_BIN / "py-spy") if (VENV_BIN / "py-spy").exists() else "py-spy"
    name = f"{server.name}_{probe.workload}" + ("" if probe.key == server.name else f"_{probe.key}")
    raw = RESULTS_DIR / f"profile_{name}.txt"
    svg = RESULTS_DIR / f"profile_{name}.svg"
    with running(server):
        assert server.process is not None
        run_wrk(server, probe, args, max(args.warmup, 1))
        pin_postgres(state, args)
        outputs = []
        for fmt, path in (("raw", raw), ("flamegraph", svg)):
            command = ["taskset", "-c", str(args.load_cpu), py_spy, "record", "--pid", str(server.process.pid)]
            command += ["--duration", f"{args.duration:g}", "--rate", "200", "--format", fmt, "--output", str(path)]
            sampler = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            figures = run_wrk(server, probe, args, args.duration + 1)
            sampler_output, _ = sampler.communicate(timeout=60)
            if sampler.returncode != 0:
                raise BenchError(f"py-spy failed:\n{sampler_output}")
            outputs.append(f"{fmt}: {figures['rps']:.1f} req/s while sampling")
    summary = _summarise_profile(raw)
    (RESULTS_DIR / f"profile_{name}_summary.txt").write_text(summary + "\n")
    say("\n".join(outputs))
    say(summary)
    return {"raw": str(raw.relative_to(ROOT)), "flamegraph": str(svg.relative_to(ROOT)), "summary": summary}


# ----------------------------------------------------------------------------------------------- report


def table(results: dict[str, Any], workloads: list[Workload]) -> str:
    """The GraphQL workloads: storegraph's /graphql against the baseline."""
    header = (
        "workload",
        "storegraph req/s",
        "baseline req/s",
        "ratio",
        "storegraph p50 / p99 ms",
        "baseline p50 / p99 ms",
    )
    rows = [header]
    for workload in workloads:
        entry = results[workload.name]
        ours, ceiling = entry["storegraph"], entry["baseline"]
        rows.append(
            (
                workload.title,
                f"{ours['rps']:,.1f}",
                f"{ceiling['rps']:,.1f}",
                f"{entry['ratio']:.3f}x",
                _latency(ours),
                _latency(ceiling),
            )
        )
    return _render(rows)


def rest_table(results: dict[str, Any], workloads: list[Workload]) -> str:
    """The REST workloads: the /v1 route, the same operation on /graphql, and the baseline's REST route."""
    header = (
        "workload",
        "REST req/s",
        "GraphQL req/s",
        "baseline req/s",
        "REST / base",
        "GraphQL / base",
        "layer overhead",
        "REST p50 / p99 ms",
        "GraphQL p50 / p99 ms",
        "baseline p50 / p99 ms",
    )
    rows = [header]
    for workload in workloads:
        entry = results[workload.name]
        rest, graphql, ceiling = entry["rest"], entry["graphql"], entry["baseline"]
        rows.append(
            (
                workload.title,
                f"{rest['rps']:,.1f}",
                f"{graphql['rps']:,.1f}",
                f"{ceiling['rps']:,.1f}",
                f"{entry['ratio_rest_baseline']:.3f}x",
                f"{entry['ratio_graphql_baseline']:.3f}x",
                f"{100 * entry['layer_overhead']:.1f}%",
                _latency(rest),
                _latency(graphql),
                _latency(ceiling),
            )
        )
    return _render(rows)


def _latency(figures: dict[str, Any]) -> str:
    return f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f}"


_SHORT = {"storegraph": "sg", "baseline": "base", "rest": "rest", "graphql": "gql"}


def cpu_table(results: dict[str, Any], workloads: list[Workload], probes: dict[str, list[Probe]]) -> str:
    """Whether each server was CPU-bound (server CPU near 100%) and how much other processes interfered."""
    rows = [("workload", "measured", "server CPU busy", "load CPU busy", "others on server CPU (max)")]
    for workload in workloads:
        figures = [results[workload.name][probe.key] for probe in probes[workload.name]]
        rows.append(
            (
                workload.title,
                " / ".join(_SHORT.get(probe.key, probe.key) for probe in probes[workload.name]),
                " / ".join(f"{f['server_cpu_busy_pct']:.0f}%" for f in figures),
                " / ".join(f"{f['load_cpu_busy_pct']:.0f}%" for f in figures),
                f"{max(f['max_interference_pct'] for f in figures):.0f}%",
            )
        )
    return _render(rows)


def _render(rows: list[tuple[str, ...]]) -> str:
    header = rows[0]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)]
        lines.append("| " + " | ".join(cells) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def environment() -> dict[str, Any]:
    def git(*command: str) -> str:
        result = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else "unknown"

    cpu_model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.partition(":")[2].strip()
                break
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()
    return {
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "python": platform.python_version(),
        "cpu": cpu_model,
        "cpus": os.cpu_count(),
        "wrk": wrk_version[0] if wrk_version else "unknown",
        "host": platform.node(),
    }


# ------------------------------------------------------------------------------------------------- main


def add_load_options(parser: argparse.ArgumentParser) -> None:
    """How each target is loaded: rounds, their length and wrk's settings (shared with tracking_throughput.py)."""
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per workload and target")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured round")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of unmeasured load before the rounds")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (and the baseline's pool size)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--timeout", type=float, default=10, help="wrk request timeout, seconds")


def add_machine_options(parser: argparse.ArgumentParser) -> None:
    """Pinning, waiting for quiet, and the PostgreSQL server (shared with tracking_throughput.py)."""
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU the measured server is pinned to")
    parser.add_argument("--load-cpu", type=int, default=1, help="CPU wrk is pinned to")
    parser.add_argument(
        "--quiet-threshold",
        type=float,
        default=15,
        help="before each round, wait until other processes use less than this %% of either benchmark CPU",
    )
    parser.add_argument("--quiet-wait", type=float, default=60, help="longest wait for quiet, seconds")
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="times a round is measured again when other processes took >= --quiet-threshold %% of the server CPU",
    )
    parser.add_argument(
        "--no-pin-postgres",
        dest="pin_postgres",
        action="store_false",
        help="do not pin the benchmark database's PostgreSQL backends to the load CPU",
    )
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server URL")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark storegraph against a raw Starlette + asyncpg handler (see bench/README.md).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_load_options(parser)
    parser.add_argument("--customers", type=int, default=5000, help="demo customers (when loading)")
    parser.add_argument("--orders", type=int, default=50000, help="demo orders (when loading)")
    parser.add_argument("--products", type=int, default=200, help="demo products (when loading)")
    parser.add_argument("--skip-load", action="store_true", help="reuse the database and key of state.json")
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help=f"comma-separated subset of: {', '.join(WORKLOADS)}",
    )
    add_machine_options(parser)
    parser.add_argument("--database", default="storegraph_bench", help="database to (re)create and use")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after measuring, sample storegraph with py-spy on the first workload (extra, unmeasured run)",
    )
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.workloads.split(",") if name.strip()]
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown or not names:
        parser.error(f"--workloads: unknown {unknown}; choose from {', '.join(WORKLOADS)}")
    args.workload_list = [WORKLOADS[name] for name in names]
    if args.rounds < 1 or args.duration <= 0 or args.connections < args.threads or args.threads < 1:
        parser.error("need --rounds >= 1, --duration > 0 and --connections >= --threads >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workloads: list[Workload] = args.workload_list
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    check_tools(args)
    if any(workload.kind == "rest" for workload in workloads):
        step(f"compiling the REST row {REST_ROW} (rest_compat/table.py) for its GraphQL document")
        say(rest_row().document)
    state, counts = prepare_state(args)
    probes = {workload.name: workload.probes(state) for workload in workloads}
    for probe in (probe for listed in probes.values() for probe in listed if probe.body is not None):
        body_file(probe).write_bytes(probe.body or b"")
    storegraph, baseline = servers_for(state, args)
    servers = {server.name: server for server in (storegraph, baseline)}

    with running(storegraph, baseline):
        sizes = check_same_data(servers, workloads, probes, state)

    measured = {server.name: measure(server, workloads, probes, state, args) for server in (storegraph, baseline)}

    results: dict[str, Any] = {}
    for workload in workloads:
        figures = {probe.key: measured[probe.server][workload.name][probe.key] for probe in probes[workload.name]}
        entry: dict[str, Any] = {
            "title": workload.title,
            "kind": workload.kind,
            **workload.describe(state),
            "requests": {probe.key: probe.describe() for probe in probes[workload.name]},
            "response_bytes": sizes[workload.name],
            **figures,
        }
        if workload.kind == "graphql":
            entry["ratio"] = figures["storegraph"]["rps"] / figures["baseline"]["rps"]
        else:
            rest, graphql, ceiling = figures["rest"], figures["graphql"], figures["baseline"]
            entry["ratio_rest_baseline"] = rest["rps"] / ceiling["rps"]
            entry["ratio_graphql_baseline"] = graphql["rps"] / ceiling["rps"]
            # What the /v1 layer costs over running the same operation on /graphql.
            entry["layer_overhead"] = 1 - rest["rps"] / graphql["rps"]
            # The REST and GraphQL rounds alternate, so each pair ran about the same minute.
            entry["layer_overhead_by_round"] = [
                1 - ours["rps"] / theirs["rps"] for ours, theirs in zip(rest["rounds"], graphql["rounds"], strict=True)
            ]
        results[workload.name] = entry

    graphql_workloads = [workload for workload in workloads if workload.kind == "graphql"]
    rest_workloads = [workload for workload in workloads if workload.kind == "rest"]
    printed = rest_printed = ""
    if graphql_workloads:
        step("results (median of rounds; ratio = storegraph / baseline)")
        printed = table(results, graphql_workloads)
        say(printed)
    if rest_workloads:
        step(
            "REST layer (median of rounds; REST = GET /v1 on storegraph, GraphQL = the same operation on its "
            "/graphql, base = the baseline's GET /v1; layer overhead = 1 - REST req/s / GraphQL req/s, "
            "target under 15%)"
        )
        rest_printed = rest_table(results, rest_workloads)
        say(rest_printed)
        for workload in rest_workloads:
            by_round = ", ".join(f"{100 * value:.1f}%" for value in results[workload.name]["layer_overhead_by_round"])
            say(f"{workload.name}: layer overhead by round (REST and GraphQL rounds alternate): {by_round}")
    say("\nCPU use during the measured rounds (median; sg = storegraph, base = baseline, gql = GraphQL):")
    cpu_printed = cpu_table(results, workloads, probes)
    say(cpu_printed)

    report: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "settings": {
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "server_cpu": args.server_cpu,
            "load_cpu": args.load_cpu,
            "postgres_backends_pinned_to_load_cpu": args.pin_postgres,
            "database": state.database,
            "store_id": state.store_id,
            "rows": counts,
            "storegraph_env": {**UNLIMITED, "REDIS_URL set": bool(os.environ.get("REDIS_URL"))},
        },
        "environment": environment(),
        "table": printed,
        "rest_table": rest_printed,
        "cpu_table": cpu_printed,
        "workloads": results,
    }
    if args.profile:
        first = next(probe for probe in probes[workloads[0].name] if probe.server == storegraph.name)
        report["profile"] = profile(storegraph, first, state, args)
    encoded = json.dumps(report, indent=2) + "\n"
    (RESULTS_DIR / "latest.json").write_text(encoded)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS_DIR / f"run-{stamp}.json").write_text(encoded)
    say(f"\nwritten: {(RESULTS_DIR / 'latest.json').relative_to(ROOT)} (and run-{stamp}.json)")
    return 0


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def run_script(main: Callable[[], int]) -> None:
    """A benchmark script's entry point: its servers are stopped however it ends (error, ^C, SIGTERM, SIGHUP)."""
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    try:
        sys.exit(main())
    except BenchError as failure:
        print(f"\nbench failed: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
    finally:
        stop_all()


if __name__ == "__main__":
    run_script(main)
