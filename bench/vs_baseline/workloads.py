"""The workloads measured against the raw baseline: their requests and the checks of their answers."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import sys
from collections.abc import Callable
from typing import Any

import orjson
from harness.common import ROOT, BenchError
from harness.servers import UNIQUE_MARK, Probe

# The nested workload carries the peers' load: the first page's customers (the default order, newest first) each
# with their newest orders, PAGE x ORDERS_PER_CUSTOMER orders in every answer (the data loader sees to it).
PAGE = 50
ORDERS_PER_CUSTOMER = 5
NESTED_QUERY = (
    "query Bench($first: Int!) { customers(first: $first) { edges { node { id firstName lastName phone "
    f"totalOrders totalSpent orders(first: {ORDERS_PER_CUSTOMER}) {{ edges {{ node {{ id orderNumber status total "
    "createdAt } } } } } } }"
)
LIST_QUERY = (
    "query BenchList($first: Int!) { customers(first: $first) { edges { node { id firstName lastName phone "
    "email totalOrders totalSpent createdAt } } } }"
)
ONE_QUERY = (
    "query BenchOne($id: ID!) { customer(id: $id) { id firstName lastName phone email totalOrders "
    "totalSpent createdAt } }"
)

# The REST workloads: these rows of rest_compat/table.py, the list called with this query string, the detail for
# the one-customer workload's customer.
REST_ROW = "ListCustomers"
REST_PATH = "/v1/customers"
REST_QUERY = {"limit": "50"}
REST_ONE_ROW = "GetCustomer"
REST_ONE_PATH = "/v1/customers/{id}"
REST_ROWS = {"rest_list": REST_ROW, "rest_one": REST_ONE_ROW}
# Sent by the equality check to both servers, which keep a sane inbound request id: the REST bodies quote it, so two
# answers with the same data are the same bytes.
CHECK_REQUEST_ID = "req_bench_equality_check"


@dataclasses.dataclass(frozen=True)
class State:
    database: str
    database_url: str  # SQLAlchemy URL for storegraph
    dsn: str  # plain libpq URL for asyncpg
    store_id: int
    key: str
    customer_id: int  # the one-customer-by-id workload's customer


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
    # (keys "rest", "graphql", "baseline"); "write": storegraph's /v1 write against the baseline's (keys
    # "storegraph", "baseline").
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
    counts = [len(edge["node"]["orders"]["edges"]) for edge in edges]
    short = [edge["node"]["id"] for edge, count in zip(edges, counts, strict=True) if count < ORDERS_PER_CUSTOMER]
    if len(edges) != PAGE or short:
        raise BenchError(
            f"nested workload returned {len(edges)} customers and {sum(counts)} orders; expected {PAGE} customers with"
            f" {ORDERS_PER_CUSTOMER} orders each, but {len(short)} have fewer ({', '.join(short[:10])}): the data was"
            " loaded without the first page's orders (run without --skip-load) or is too small for them"
        )
    return f"{len(edges)} customers, {sum(counts)} orders"


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
def rest_row(name: str = REST_ROW) -> Any:
    """The compiled row ``name`` (``ListCustomers`` by default), as the app compiles it at start-up
    (rest_compat.handler.compile_table): its GraphQL document is what the route runs, so the /graphql request
    cannot drift from it."""
    for compiled in _compiled_table():
        if compiled.endpoint.name == name:
            return compiled
    raise BenchError(f"rest_compat/table.py has no row {name}")


@functools.cache
def _compiled_table() -> list[Any]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from rest_compat.handler import compile_table
    from schema.core.build import build_schema
    from schema.core.cost import CostLimits
    from storegraph.settings import Settings

    schema = build_schema(CostLimits.from_settings(Settings()))
    return list(compile_table(schema._schema))


def rest_request() -> tuple[str, dict[str, Any]]:
    """The REST path with its query string, and the GraphQL request the REST layer makes of it (what
    rest_compat/handler.py does: the row's query model validates the query string, the row maps it to
    variables)."""
    compiled = rest_row()
    row = compiled.endpoint
    if row.method != "GET" or row.path != REST_PATH or row.query is None:
        raise BenchError(
            f"{REST_ROW} is no longer GET {REST_PATH} with a query string: update bench/vs_baseline/workloads.py"
        )
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


def rest_one_request(state: State) -> tuple[str, dict[str, Any]]:
    """``GET /v1/customers/{id}`` for the one-customer workload's customer, and the GraphQL request the REST layer
    makes of it (the row maps the path's id to its variable)."""
    compiled = rest_row(REST_ONE_ROW)
    row = compiled.endpoint
    if row.method != "GET" or row.path != REST_ONE_PATH or row.result_kind == "list":
        raise BenchError(
            f"{REST_ONE_ROW} is no longer GET {REST_ONE_PATH} of one object: update bench/vs_baseline/workloads.py"
        )
    variables = compiled.variables({"id": state.customer_id}, {}, None)
    path = REST_ONE_PATH.replace("{id}", str(state.customer_id))
    return path, {"query": compiled.document, "variables": variables, "operationName": row.name}


def _rest_one_probes(state: State) -> list[Probe]:
    path, graphql = rest_one_request(state)
    same_id = (("X-Request-Id", CHECK_REQUEST_ID),)
    return [
        Probe("rest_one", "rest", "storegraph REST", "storegraph", "GET", path, check_headers=same_id),
        Probe("rest_one", "graphql", "storegraph GraphQL", "storegraph", "POST", "/graphql", orjson.dumps(graphql)),
        Probe("rest_one", "baseline", "baseline", "baseline", "GET", path, check_headers=same_id),
    ]


def _check_rest_one(answers: dict[str, Answer], state: State) -> str:
    rest, graphql, baseline = (answers[key] for key in ("rest", "graphql", "baseline"))
    customer = rest.payload["data"]
    if customer.get("id") != state.customer_id:
        raise BenchError(f"GET {REST_ONE_PATH} did not return customer {state.customer_id}: {customer!r}")
    if rest.payload["meta"].get("request_id") != CHECK_REQUEST_ID:
        raise BenchError(f"storegraph did not keep the request id {CHECK_REQUEST_ID} it was sent: {rest.payload!r}")
    # The GraphQL answer, converted as the REST layer converts it, must be the REST customer itself.
    require_same(
        customer,
        rest_row(REST_ONE_ROW).convert(graphql.payload["data"]["customer"]),
        ("storegraph REST", "storegraph GraphQL, converted"),
        "the REST customer is not the /graphql answer converted by the row's fragment",
    )
    require_same(
        rest.payload,
        baseline.payload,
        ("storegraph REST", "baseline"),
        "the rest_one workload's answers differ between storegraph and the baseline",
    )
    if rest.raw != baseline.raw:
        raise BenchError(
            "the rest_one answers hold the same JSON but not the same bytes:\n"
            f"storegraph REST: {rest.raw.decode(errors='replace')}\nbaseline:        "
            f"{baseline.raw.decode(errors='replace')}"
        )
    return f"customer {customer['id']}, REST and baseline byte-identical ({len(rest.raw)} bytes)"


def _describe_rest_one(state: State) -> dict[str, Any]:
    path, graphql = rest_one_request(state)
    return {"rest_request": f"GET {path}", "graphql_request": graphql}


# W4: a REST write with its Idempotency-Key, each request a new product ({n}: the request's own key).
WRITE_PATH = "/v1/products"
WRITE_BODY = {"name": f"Bench product {UNIQUE_MARK}", "price": 1500}


def _write_probes(_state: State) -> list[Probe]:
    body = orjson.dumps(WRITE_BODY)
    return [
        Probe("create_product", key, key, key, "POST", WRITE_PATH, body, unique=True, status=201)
        for key in ("storegraph", "baseline")
    ]


def _product_outline(payload: dict[str, Any]) -> dict[str, Any]:
    """A created product without what differs by request (id, the name's key, slug, the time) and the envelope's
    keys; the rest must be the same."""
    product = dict(payload["data"])
    name, slug = product.pop("name"), product.pop("slug")
    id_, created_at, updated_at = product.pop("id"), product.pop("created_at"), product.pop("updated_at")
    return {
        **product,
        "id": type(id_).__name__,
        "name": name.startswith(WRITE_BODY["name"].removesuffix(UNIQUE_MARK)),
        "slug": slug.startswith("bench-product-check-"),
        "timestamps": [len(created_at), created_at == updated_at],
        "keys": sorted(payload),
        "meta_keys": sorted(payload.get("meta") or {}),
    }


def _check_write(answers: dict[str, Answer], _state: State) -> str:
    ours, ceiling = answers["storegraph"].payload, answers["baseline"].payload
    require_same(
        _product_outline(ours),
        _product_outline(ceiling),
        ("storegraph", "baseline"),
        "the create_product workload's products differ between the servers",
    )
    return f"product {ours['data']['id']} / {ceiling['data']['id']} created, 201 on both"


WORKLOADS: dict[str, Workload] = {
    workload.name: workload
    for workload in (
        graphql_workload(
            "nested", "50 customers x newest 5 orders", NESTED_QUERY, lambda _s: {"first": PAGE}, _check_nested
        ),
        graphql_workload("list", "list 50 customers", LIST_QUERY, lambda _s: {"first": 50}, _check_list),
        graphql_workload(
            "one", "one customer by id", ONE_QUERY, lambda state: {"id": str(state.customer_id)}, _check_one
        ),
        Workload("rest_list", "GET /v1/customers?limit=50", "rest", _rest_probes, _check_rest_list, _describe_rest),
        Workload("rest_one", "GET /v1/customers/{id}", "rest", _rest_one_probes, _check_rest_one, _describe_rest_one),
        Workload(
            "create_product",
            "POST /v1/products + Idempotency-Key",
            "write",
            _write_probes,
            _check_write,
            lambda _state: {"request": f"POST {WRITE_PATH}", "body": WRITE_BODY},
        ),
    )
}
