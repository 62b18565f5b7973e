"""Writes against the raw ceiling: storegraph's hot writes and hand-written asyncpg handlers running the same
statements (bench/baseline_writes.py, and baseline_app.py's POST /v1/products), measured with wrk in one run.

    .venv/bin/python bench/writes.py [--rounds 2] [--duration 8] [--redis redis://127.0.0.1:6379/0]

Workloads, each request a new write with an Idempotency-Key of its own:
- ``create_product`` (W4): ``POST /v1/products`` ``{"name": "Bench product <key>", "price": 1500}``;
- ``update_order``: ``PATCH /v1/orders/{id}`` ``{"status": "confirmed"}``, each request another pending order
  (each wrk run starts past the orders the previous one reached, in flight included; when too few are left, all are
  set back to pending, after a pause that lets the last run's requests in flight finish);
- ``place_order``: the ``placeOrder`` mutation on ``/graphql``, one line of an untracked product, each request's
  customer a phone of its own (a new customer in the first round, a returning one in the next).

It recreates the database ``storegraph_writes_bench``, migrates it and creates a store, a key, a product and the
pending orders. Both servers run on the server CPU (only one is loaded at a time), wrk on the load CPU; the rounds
alternate which server goes first. Storegraph's plan has no limits (as in bench/run.py) and its key cache is on
(the default), so authentication costs no statement after the first request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from harness.common import BENCH_DIR, HOST, RESULTS_DIR, ROOT, BenchError, executable, say, step
from harness.machine import recreate_database
from harness.servers import UNLIMITED, Server, run_script, running
from harness.wrk import parse_wrk

DATABASE = "storegraph_writes_bench"
# update_order: the most orders one wrk run is expected to confirm (the baseline's rate times a round, with room);
# the last CHECKS orders are the ones the checks confirm; the pause lets a run's requests in flight finish.
ORDERS_PER_RUN = 8_000
CHECKS = 8
DRAIN_SECONDS = 5.0
WRK_SCRIPT = BENCH_DIR / "writes.lua"
STOREGRAPH_PORT, BASELINE_PORT = 8111, 8112
# A customer of its own per request (``{seq}``: the request's number): concurrent checkouts of one customer wait
# for each other on its row, which is not what this measures.
PHONE = "055{seq}"
PLACE_ORDER = (
    "mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id orderNumber status total } "
    "customer { id totalOrders } userErrors { field code message } } }"
)


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--orders", type=int, default=40_000, help="pending orders for update_order")
    parser.add_argument("--workloads", default="create_product,update_order,place_order")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin DSN")
    parser.add_argument("--redis", default=None, help="REDIS_URL for storegraph (idempotency, limits in Redis)")
    parser.add_argument(
        "--storegraph-dir",
        type=Path,
        default=ROOT,
        help="the checkout whose storegraph is measured (another worktree or commit, to compare before and after)",
    )
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--load-cpu", type=int, default=1)
    return parser.parse_args()


def _cli(database_url: str, *arguments: str) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "storegraph.cli", *arguments], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"storegraph {' '.join(arguments)} failed:\n{done.stdout}\n{done.stderr}")
    start = done.stdout.find("{")
    return json.loads(done.stdout[start:]) if start >= 0 else {}


async def _seed(dsn: str, store_id: int, orders: int) -> dict[str, Any]:
    """A product for sale (untracked stock), a customer with ``orders`` pending orders of one line each."""
    connection = await asyncpg.connect(dsn)
    try:
        product_id = await connection.fetchval(
            "INSERT INTO products (store_id, name, slug, price, track_stock, stock_quantity, low_stock_alert, status,"
            " created_at, updated_at) VALUES ($1, 'Tapis', 'tapis', 1500, false, 0, 5, 'active', now() at time zone"
            " 'utc', now() at time zone 'utc') RETURNING id",
            store_id,
        )
        customer_id = await connection.fetchval(
            "INSERT INTO customers (store_id, first_name, last_name, phone, total_orders, total_spent, fraud_score,"
            " is_banned, created_at, updated_at) VALUES ($1, 'Bench', 'Orders', '+213555999999', 0, 0, 0, false,"
            " now() at time zone 'utc', now() at time zone 'utc') RETURNING id",
            store_id,
        )
        ids = await connection.fetch(
            "INSERT INTO orders (store_id, customer_id, order_number, status, payment_status, payment_method,"
            " customer_name, customer_phone, wilaya_id, delivery_type, subtotal, delivery_fee, total, created_at,"
            " updated_at) SELECT $1, $2, 'ORD-BENCH-' || g, 'pending', 'pending', 'cod', 'Bench Orders',"
            " '+213555999999', 16, 'home', 1500, 0, 1500, now() at time zone 'utc', now() at time zone 'utc'"
            " FROM generate_series(1, $3) AS g ORDER BY g RETURNING id",
            store_id,
            customer_id,
            orders,
        )
        first, last = min(row["id"] for row in ids), max(row["id"] for row in ids)
        if last - first + 1 != orders:
            raise BenchError("the pending orders' ids are not consecutive; recreate the database and retry")
        await connection.execute(
            "INSERT INTO order_items (order_id, product_id, product_name, sku, unit_price, quantity, total)"
            " SELECT id, $2, 'Tapis', NULL, 1500, 1, 1500 FROM orders WHERE customer_id = $1",
            customer_id,
            product_id,
        )
        await connection.execute(
            "INSERT INTO order_status_changes (order_id, field, from_status, to_status, created_at)"
            " SELECT id, 'status', NULL, 'pending', created_at FROM orders WHERE customer_id = $1",
            customer_id,
        )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return {"product_id": product_id, "first_order": first, "last_order": last}


async def _reset_orders(dsn: str, seeded: dict[str, Any]) -> None:
    """Every benchmark order pending again, with its first history entry only."""
    connection = await asyncpg.connect(dsn)
    try:
        bounds = (seeded["first_order"], seeded["last_order"])
        await connection.execute(
            "DELETE FROM order_status_changes WHERE order_id BETWEEN $1 AND $2 AND to_status <> 'pending'", *bounds
        )
        await connection.execute(
            "UPDATE orders SET status = 'pending' WHERE id BETWEEN $1 AND $2 AND status <> 'pending'", *bounds
        )
    finally:
        await connection.close()


def _requests(seeded: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per workload and server: method, path (``{id}``: the order), body (``{n}``: the request's key)."""
    place = {
        "query": PLACE_ORDER,
        "variables": {
            "input": {
                "customer": {"phone": PHONE, "firstName": "Amine", "wilayaId": 16},
                "lines": [{"productId": str(seeded["product_id"]), "quantity": 1}],
            }
        },
    }
    product = {"name": "Bench product {n}", "price": 1500}
    patch = {"status": "confirmed"}
    return {
        "create_product": {
            "storegraph": {"method": "POST", "path": "/v1/products", "body": product, "status": 201},
            "baseline": {"method": "POST", "path": "/v1/products", "body": product, "status": 201},
        },
        "update_order": {
            "storegraph": {"method": "PATCH", "path": "/v1/orders/{id}", "body": patch, "status": 200},
            "baseline": {"method": "PATCH", "path": "/v1/orders/{id}", "body": patch, "status": 200},
        },
        "place_order": {
            "storegraph": {"method": "POST", "path": "/graphql", "body": place, "status": 200},
            "baseline": {"method": "POST", "path": "/graphql?w=place_order", "body": place, "status": 200},
        },
    }


def _check(server: Server, request: dict[str, Any], order_id: int) -> str:
    """One request sent by hand: a good status and no error or userErrors in the answer."""
    import urllib.error
    import urllib.request

    key = f"check-{secrets.token_hex(6)}"
    body = orjson.dumps(request["body"]).replace(b"{n}", key.encode()).replace(b"{seq}", b"9%06d" % order_id)
    path = request["path"].replace("{id}", str(order_id))
    headers = {"Content-Type": "application/json", "Idempotency-Key": key, **server.headers}
    call = urllib.request.Request(f"http://{HOST}:{server.port}{path}", data=body, method=request["method"])
    for name, value in headers.items():
        call.add_header(name, value)
    try:
        with urllib.request.urlopen(call, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    answer = orjson.loads(raw)
    user_errors = (answer.get("data") or {}).get("placeOrder", {}).get("userErrors") if "data" in answer else None
    if status != request["status"] or answer.get("errors") or answer.get("error") or user_errors:
        raise BenchError(f"{server.name} answered {status} to {request['method']} {path}: {raw[:1500]!r}")
    summary: str = raw.decode()[:160]
    return summary


def _wrk(server: Server, request: dict[str, Any], args: argparse.Namespace, duration: float, first: int) -> Any:
    body_path = RESULTS_DIR / f"writes_body_{server.name}.json"
    body_path.write_bytes(orjson.dumps(request["body"]))
    env = {
        **os.environ,
        "BENCH_BODY_FILE": str(body_path),
        "BENCH_METHOD": request["method"],
        "BENCH_PATH": request["path"],
        "BENCH_FIRST_ID": str(first),
        "BENCH_UNIQUE": secrets.token_hex(6),
        "BENCH_KEY": server.headers.get("Authorization", "").removeprefix("Bearer "),
    }
    command = ["taskset", "-c", str(args.load_cpu), "wrk", "-t1", f"-c{args.connections}", f"-d{duration:g}s"]
    command += ["--timeout=10s", "--latency", "-s", str(WRK_SCRIPT), f"http://{HOST}:{server.port}"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration + 120, check=False)
    if done.returncode != 0:
        raise BenchError(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    figures = parse_wrk(done.stdout)
    refused = [line for line in done.stdout.splitlines() if line.startswith("BENCH_REFUSED")]
    figures["refused"] = figures["errors"]["non_2xx"]
    if refused:
        # Counted and reported rather than fatal: on a shared machine a starved server's rare refusal (a pool
        # wait that ran out) should not throw the run away; the table shows how many there were.
        say(f"   warning: {server.name} refused {figures['refused']} writes; the first: {refused[0][:300]}")
    return figures


def _servers(args: argparse.Namespace, database_url: str, dsn: str, store_id: int, key: str) -> list[Server]:
    pin = ["taskset", "-c", str(args.server_cpu)]
    uvicorn = executable("uvicorn")
    common = ["--host", HOST, "--no-access-log", "--log-level", "warning"]
    env = {"DATABASE_URL": database_url, **UNLIMITED}
    if args.redis:
        env["REDIS_URL"] = args.redis
    storegraph = Server(
        name="writes_storegraph",
        port=STOREGRAPH_PORT,
        command=[
            *pin,
            uvicorn,
            "--app-dir",
            str(args.storegraph_dir),
            "storegraph.app:create_app",
            "--factory",
            "--port",
            str(STOREGRAPH_PORT),
            *common,
        ],
        env=env,
        ready_path="/healthz",
        headers={"Authorization": f"Bearer {key}"},
    )
    baseline = Server(
        name="writes_baseline",
        port=BASELINE_PORT,
        command=[*pin, uvicorn, "--app-dir", str(BENCH_DIR), "baseline_app:app", "--port", str(BASELINE_PORT), *common],
        env={"BENCH_PG_DSN": dsn, "BENCH_STORE_ID": str(store_id), "BENCH_POOL_SIZE": str(args.connections)},
        ready_path="/healthz",
        headers={},
    )
    return [storegraph, baseline]


def main() -> int:
    args = _options()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    base = args.pg.rsplit("/", 1)[0]
    dsn = f"{base}/{DATABASE}"
    database_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    step(f"recreating {DATABASE}")
    asyncio.run(recreate_database(args.pg, DATABASE))
    _cli(database_url, "migrate")
    store_id = int(_cli(database_url, "stores", "create", "--name", "Writes bench", "--plan", "enterprise")["id"])
    key = _cli(database_url, "keys", "create", "--store", str(store_id))["key"]
    seeded = asyncio.run(_seed(dsn, store_id, args.orders))
    requests = _requests(seeded)
    workloads = [name.strip() for name in args.workloads.split(",") if name.strip()]
    servers = _servers(args, database_url, dsn, store_id, key)
    results: dict[str, Any] = {}
    with running(*servers):
        step("checking every workload on both servers")
        check_id = seeded["last_order"]
        for name in workloads:
            for server in servers:
                say(f"  {name} {server.name}: {_check(server, requests[name][server.name.split('_')[1]], check_id)}")
                check_id -= 1
        step("measuring")
        cursor = seeded["first_order"]
        for name in workloads:
            rounds: dict[str, list[dict[str, Any]]] = {server.name: [] for server in servers}
            for number in range(args.rounds):
                order = servers if number % 2 == 0 else list(reversed(servers))
                for server in order:
                    request = requests[name][server.name.split("_")[1]]
                    for duration, measured in ((args.warmup, False), (args.duration, True)):
                        if name == "update_order" and cursor + ORDERS_PER_RUN > seeded["last_order"] - CHECKS:
                            time.sleep(DRAIN_SECONDS)
                            asyncio.run(_reset_orders(dsn, seeded))
                            cursor = seeded["first_order"]
                        figures = _wrk(server, request, args, duration, cursor)
                        # Past every order this run reached, and those still in flight when wrk stopped.
                        cursor += figures["requests"] + 2 * args.connections
                        if measured:
                            rounds[server.name].append(figures)
                            say(
                                f"  {name:15} {server.name:18} round {number + 1}: {figures['rps']:8.1f} writes/s"
                                f"  p50 {figures['p50_ms']:7.2f} ms  p99 {figures['p99_ms']:7.2f} ms"
                            )
            results[name] = {
                server: {
                    "rps": statistics.median(r["rps"] for r in figures),
                    "p50_ms": statistics.median(r["p50_ms"] for r in figures),
                    "p99_ms": statistics.median(r["p99_ms"] for r in figures),
                    "refused": sum(r["refused"] for r in figures),
                    "rounds": [{k: r[k] for k in ("rps", "p50_ms", "p99_ms", "requests", "refused")} for r in figures],
                }
                for server, figures in rounds.items()
            }
    say("")
    say("| workload | storegraph writes/s | baseline writes/s | ratio | storegraph p50 / p99 ms | baseline p50 / p99 |")
    say("|---|---|---|---|---|---|")
    refusals = []
    for name, figures in results.items():
        ours, ceiling = figures["writes_storegraph"], figures["writes_baseline"]
        say(
            f"| {name} | {ours['rps']:,.1f} | {ceiling['rps']:,.1f} | {ours['rps'] / ceiling['rps']:.3f}x"
            f" | {ours['p50_ms']:.1f} / {ours['p99_ms']:.1f} | {ceiling['p50_ms']:.1f} / {ceiling['p99_ms']:.1f} |"
        )
        refusals += [f"{name} {server}: {figure['refused']}" for server, figure in figures.items() if figure["refused"]]
    if refusals:
        say(f"refused (non-2xx) writes, all rounds: {', '.join(refusals)}")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    options = {name: str(value) if isinstance(value, Path) else value for name, value in vars(args).items()}
    record = {"time": stamp, "redis": bool(args.redis), "options": options, "results": results}
    (RESULTS_DIR / "writes-latest.json").write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    run_script(main)
