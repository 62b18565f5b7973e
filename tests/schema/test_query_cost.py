"""Query cost analysis (docs/cost.md): the requested cost of representative documents, the limits refused before
anything runs, ``extensions.cost`` on every response, the actual cost from the returned data, and the budget."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    get_introspection_query,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)
from graphql import build_schema as schema_from_sdl

from resolvers.core.context import Context, RequestDatabase
from resolvers.core.pagination import MAX_PAGE_SIZE
from schema.core.build import build_schema
from schema.core.cost import CostLimits, MemoryCostBudget, QueryCostAnalyzer, RequestedCost, ThrottleStatus
from schema.core.cost_analysis import FIELDS_PER_POINT
from schema.core.text_cache import ENTRY_OVERHEAD
from storegraph.app import create_app
from storegraph.platform.auth.principal import Principal
from storegraph.platform.auth.scopes import ALL_SCOPES
from storegraph.settings import Settings
from tests.conftest import TEST_COST_BUCKET, services_of
from tests.support.factories import (
    Key,
    create_customer,
    create_key,
    create_order,
    create_product,
    create_store,
    principal,
)

SCHEMA = build_schema()._schema
DEFAULT_LIMITS = CostLimits.defaults()
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)

# 1 + 100 customers × (1 + orders: 1 + 100 orders × (1 + items 1 + product 1))
COSTLY = "{ customers(first: 100) { nodes { orders(first: 100) { nodes { items { product { id } } } } } } }"
COSTLY_COST = 1 + 100 * (1 + 1 + 100 * 3)
# customers, nodes, then orders › nodes › customer four times, then id: 15 fields deep, and cheap (pages of 1).
DEEP = (
    "{ customers(first: 1) { nodes { " + "orders(first: 1) { nodes { customer { " * 4 + "id" + " } } }" * 4 + " } } }"
)
DEEP_DEPTH = 2 + 3 * 4 + 1

TEST_BUCKET = TEST_COST_BUCKET
FULL_TEST_BUCKET = {"maximumAvailable": TEST_BUCKET, "currentlyAvailable": TEST_BUCKET, "restoreRate": 50.0}


def requested(
    document: str, variables: dict[str, Any] | None = None, *, schema: GraphQLSchema = SCHEMA
) -> RequestedCost:
    parsed = parse(document)
    assert validate(schema, parsed) == []
    return QueryCostAnalyzer().plan(schema, parsed, None, variables, query=document).requested


def cost(document: str, variables: dict[str, Any] | None = None) -> int:
    return requested(document, variables).cost


# ---------------------------------------------------------------------------------------------- requested cost


def test_an_object_field_costs_one_and_a_scalar_nothing():
    assert cost("{ viewer { keyId scopes } store { name } }") == 2


def test_a_connection_costs_one_plus_first_times_its_node():
    assert cost("{ customers(first: 10) { nodes { id firstName } } }") == 1 + 10


def test_an_edge_costs_what_its_node_costs():
    assert cost("{ customers(first: 10) { edges { cursor node { id } } } }") == 1 + 10


def test_a_connection_without_first_costs_the_default_page():
    assert SCHEMA.query_type is not None
    default = SCHEMA.query_type.fields["customers"].args["first"].default_value
    assert cost("{ customers { nodes { id } } }") == 1 + default


def test_page_info_is_free_and_total_count_costs_one():
    assert cost("{ customers(first: 10) { totalCount pageInfo { hasNextPage endCursor } } }") == 1 + 1


def test_first_comes_from_the_variables():
    document = "query($n: Int!) { customers(first: $n) { nodes { id } } }"
    assert cost(document, {"n": 7}) == 1 + 7


def test_first_comes_from_the_variable_default_when_the_variable_is_not_sent():
    document = "query($n: Int = 3) { customers(first: $n) { nodes { id } } }"
    assert cost(document) == 1 + 3


def test_first_is_capped_at_the_largest_page():
    assert cost("{ customers(first: 100000) { nodes { id } } }") == 1 + MAX_PAGE_SIZE


def test_nested_connections_multiply():
    document = "query($n: Int!) { customers(first: $n) { nodes { id orders(first: 5) { nodes { id } } } } }"
    assert cost(document, {"n": 20}) == 1 + 20 * (1 + 1 + 5 * 1)


def test_a_plain_list_of_objects_costs_as_one_object():
    assert cost('{ order(id: "1") { items { product { id } } statusHistory { toStatus } } }') == 1 + 2 + 1


def test_an_address_book_with_its_zones_costs_as_objects_per_customer():
    document = "{ customers(first: 20) { nodes { addresses { deliveryZone { name } } defaultAddress { id } } } }"
    assert cost(document) == 1 + 20 * (1 + (1 + 1) + 1)


def test_the_stores_delivery_zones_cost_as_one_object():
    assert cost("{ deliveryZones { id wilayaIds homeFee } }") == 1


def test_named_and_inline_fragments_are_followed():
    document = """
    fragment Orders on Customer { orders(first: 4) { nodes { id } } }
    { customers(first: 2) { nodes { ...Orders ... on Customer { customer: orders(first: 3) { nodes { id } } } } } }
    """
    assert cost(document) == 1 + 2 * (1 + (1 + 4) + (1 + 3))


def test_a_field_selected_twice_is_counted_once_as_execution_merges_it():
    document = """
    fragment Orders on Customer { orders(first: 4) { nodes { id } } }
    { customers(first: 2) { nodes { ...Orders orders(first: 4) { nodes { total } } } } }
    """
    assert cost(document) == 1 + 2 * (1 + 1 + 4)


def test_skip_and_include_are_honoured():
    document = """query($skip: Boolean!) {
      customers(first: 10) @skip(if: $skip) { nodes { id } }
      products(first: 10) @include(if: false) { nodes { id } }
    }"""
    assert cost(document, {"skip": True}) == 0
    assert cost(document, {"skip": False}) == 11


def test_a_mutation_costs_ten_plus_its_selection():
    document = 'mutation { deleteProduct(id: "1") { deletedId userErrors { code } } }'
    assert cost(document) == 10 + 1


def test_introspection_costs_a_flat_amount_and_fits_the_limits():
    graphiql = requested(get_introspection_query())
    assert graphiql == RequestedCost(cost=10, depth=1)
    assert cost('{ __type(name: "Customer") { name fields { name } } __typename }') == 10


def test_abstract_types_cost_their_costliest_branch():
    toy = schema_from_sdl("""
        type Item { id: ID! }
        type Small { one: Item }
        type Large { one: Item two: Item three: Item }
        union Result = Small | Large
        type Query { result: Result }
    """)
    document = "{ result { ... on Small { one { id } } ... on Large { one { id } two { id } three { id } } } }"
    assert requested(document, schema=toy).cost == 1 + 3


def test_depth_counts_every_field_on_the_longest_path_through_fragments():
    document = (
        "fragment F on Customer { orders { nodes { items { product { id } } } } } { customers { nodes { ...F } } }"
    )
    # customers, nodes, orders, nodes, items, product, id
    assert requested(document).depth == 7


def test_the_cost_is_cached_by_the_variables_that_change_it():
    analyzer = QueryCostAnalyzer()
    document = "query($n: Int!, $search: String) { customers(first: $n, filter: {search: $search}) { nodes { id } } }"
    parsed = parse(document)

    small = analyzer.plan(SCHEMA, parsed, None, {"n": 1, "search": "a"}, query=document)
    small_again = analyzer.plan(SCHEMA, parsed, None, {"n": 1, "search": "b"}, query=document)
    large = analyzer.plan(SCHEMA, parsed, None, {"n": 100, "search": "a"}, query=document)

    assert small_again is small
    assert (small.requested.cost, large.requested.cost) == (2, 101)


def test_the_plan_cache_forgets_the_least_recently_used_operation_once_its_texts_fill_the_budget():
    first, second = "{ customers { nodes { id } } }", "{ orders { nodes { id } } }"
    analyzer = QueryCostAnalyzer(max_bytes=ENTRY_OVERHEAD + len(first) + 1)
    plan = analyzer.plan(SCHEMA, parse(first), None, None, query=first)
    analyzer.plan(SCHEMA, parse(second), None, None, query=second)
    assert analyzer.plan(SCHEMA, parse(first), None, None, query=first) is not plan


def test_a_variable_of_the_wrong_type_costs_the_default_page_without_crashing():
    document = "query($n: Int!) { customers(first: $n) { nodes { id } } }"
    assert cost(document, {"n": {"not": "a number"}}) == 1 + 50


# ------------------------------------------------------------------------------------------------ the minimum


def aliased_typenames(count: int) -> str:
    return "{ " + " ".join(f"a{number}: __typename" for number in range(count)) + " }"


def test_ten_thousand_free_selections_are_not_free():
    assert cost(aliased_typenames(10_000)) == 10_000 // FIELDS_PER_POINT


def test_repeated_selections_count_toward_the_minimum():
    assert cost("{ " + "__typename " * 100 + "}") == 100 // FIELDS_PER_POINT


def test_a_fragments_selections_count_toward_the_minimum_at_each_place_it_is_spread():
    fragment = "fragment F on Viewer { " + "keyId " * 50 + "}"
    document = "{ " + " ".join(f"v{number}: viewer {{ ...F }}" for number in range(10)) + " } " + fragment

    # ten viewers (1 point each), each with the fragment's fifty selections: 510 selections
    assert cost(document) == 510 // FIELDS_PER_POINT > 10


def test_an_object_with_every_field_selected_keeps_its_cost_of_one():
    """One, plus one for each list of scalars loaded from a table of its own (``Customer.tags``)."""
    for type_name, root_field, loaded in (("Order", 'order(id: "1")', 0), ("Customer", 'customer(id: "1")', 1)):
        object_type = SCHEMA.type_map[type_name]
        assert isinstance(object_type, GraphQLObjectType)
        leaves = [name for name, field in object_type.fields.items() if is_leaf_type(get_named_type(field.type))]
        assert cost(f"{{ {root_field} {{ __typename {' '.join(leaves)} }} }}") == 1 + loaded


def test_a_loaded_list_of_scalars_costs_one_per_object():
    assert cost("{ customers(first: 10) { nodes { id tags dialCode } } }") == 1 + 10 * (1 + 1)


def test_the_actual_cost_is_never_below_the_minimum():
    document = aliased_typenames(100)
    data = {f"a{number}": "Query" for number in range(100)}

    assert actual(document, data) == 100 // FIELDS_PER_POINT


# ------------------------------------------------------------------------------------------------- actual cost


def actual(document: str, data: dict[str, Any]) -> int:
    return QueryCostAnalyzer().plan(SCHEMA, parse(document), None, None).actual(data)


def test_the_actual_cost_counts_the_items_returned():
    document = "{ customers(first: 10) { nodes { id orders(first: 5) { nodes { id } } } } }"
    data = {
        "customers": {
            "nodes": [
                {"id": "1", "orders": {"nodes": [{"id": "1"}, {"id": "2"}, {"id": "3"}]}},
                {"id": "2", "orders": {"nodes": []}},
            ]
        }
    }
    assert actual(document, data) == 1 + (1 + 1 + 3) + (1 + 1 + 0)


def test_edges_of_flat_objects_count_each_object_returned_and_no_null_one():
    document = "{ orders(first: 10) { edges { cursor node { id total } } } }"
    edges = [{"cursor": "a", "node": {"id": "1", "total": 5}}, None, {"cursor": "c", "node": {"id": "3", "total": 7}}]

    assert actual(document, {"orders": {"edges": edges}}) == 1 + 2 * 1


def test_a_field_that_answered_null_costs_only_itself():
    assert actual("{ customers(first: 10) { nodes { id } } }", {"customers": None}) == 1


def test_the_actual_cost_of_a_plain_list_is_its_costliest_element():
    document = '{ order(id: "1") { items { product { id } } } }'
    data = {"order": {"items": [{"product": None}, {"product": {"id": "3"}}]}}
    assert actual(document, data) == 1 + 1 + 1


# ------------------------------------------------------------------------------------------------ the budget


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_charge_takes_the_cost_from_the_bucket():
    bucket = MemoryCostBudget(1000, 50, clock=FakeClock())
    charge = await bucket.charge(300)
    assert charge.accepted
    assert charge.status == ThrottleStatus(maximum_available=1000, currently_available=700, restore_rate=50)


async def test_a_charge_over_what_is_available_is_refused_and_takes_nothing():
    bucket = MemoryCostBudget(1000, 50, clock=FakeClock())
    await bucket.charge(900)
    refused = await bucket.charge(101)
    assert not refused.accepted
    assert refused.status.currently_available == 100
    assert refused.seconds_until(101) == 1 / 50


async def test_the_bucket_restores_at_its_rate_up_to_its_maximum():
    clock = FakeClock()
    bucket = MemoryCostBudget(1000, 50, clock=clock)
    await bucket.charge(1000)
    clock.now += 3
    assert (await bucket.charge(0)).status.currently_available == 150
    clock.now += 3600
    assert (await bucket.charge(0)).status.currently_available == 1000


async def test_a_refund_goes_back_to_the_bucket_but_not_above_its_maximum():
    bucket = MemoryCostBudget(1000, 50, clock=FakeClock())
    await bucket.charge(500)
    assert (await bucket.refund(200)).currently_available == 700
    assert (await bucket.refund(5000)).currently_available == 1000


def test_the_throttle_status_renders_as_shopify_names_it():
    status = ThrottleStatus(maximum_available=1000.0, currently_available=812.6, restore_rate=50.0)
    assert status.as_dict() == {"maximumAvailable": 1000.0, "currentlyAvailable": 812, "restoreRate": 50.0}


# ------------------------------------------------------------------------------------------------ over HTTP


async def _customers_with_orders(session, orders_each: list[int]) -> Key:
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store)
    for count in orders_each:
        customer = await create_customer(session, store)
        for _ in range(count):
            await create_order(session, store, customer, [(product, 1)])
    await session.commit()
    return key


def _queries(statements: list[str]) -> list[str]:
    return [statement for statement in statements if not TRANSACTION_CONTROL.match(statement)]


async def test_a_costly_nested_query_is_refused_before_any_sql_runs(session, gql, count_statements):
    key = await _customers_with_orders(session, [1])
    await gql.query("{ viewer { keyId } }", headers=key.headers)  # makes the key's last_used_at fresh
    with count_statements() as baseline:
        await gql.query("{ viewer { keyId } }", headers=key.headers)

    with count_statements() as counter:
        payload = await gql.query(COSTLY, headers=key.headers)

    assert _queries(counter.statements) == _queries(baseline.statements)  # the key lookup, nothing else
    assert payload["_status"] == 400
    assert "data" not in payload
    [error] = payload["errors"]
    assert error["extensions"] == {"code": "query_too_costly", "cost": COSTLY_COST, "max_cost": DEFAULT_LIMITS.max_cost}
    assert f"Query cost is {COSTLY_COST}" in error["message"]
    assert f"maximum cost of {DEFAULT_LIMITS.max_cost}" in error["message"]


async def test_the_limits_come_from_the_settings(database_url, session):
    key = await _customers_with_orders(session, [])
    application = create_app(
        Settings(database_url=database_url, secret_key="test-secret", redis_url=None, max_query_cost=10)
    )
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as http:
            document = "{ customers(first: 10) { nodes { id } } }"
            response = await http.post("/graphql", json={"query": document}, headers=key.headers)
    finally:
        await services_of(application).engine.dispose()
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "query_too_costly", "cost": 11, "max_cost": 10}


async def test_a_refused_query_reports_its_requested_cost(session, gql):
    key = await _customers_with_orders(session, [])
    payload = await gql.query(COSTLY, headers=key.headers)
    assert payload["extensions"]["cost"] == {
        "requestedQueryCost": COSTLY_COST,
        "actualQueryCost": None,
        "throttleStatus": FULL_TEST_BUCKET,
    }


async def test_a_query_deeper_than_the_limit_is_refused(session, gql):
    key = await _customers_with_orders(session, [1])
    payload = await gql.query(DEEP, headers=key.headers)
    assert payload["_status"] == 400
    assert "data" not in payload
    [error] = payload["errors"]
    assert error["extensions"] == {
        "code": "query_too_deep",
        "depth": DEEP_DEPTH,
        "max_depth": DEFAULT_LIMITS.max_depth,
    }
    assert f"Query depth is {DEEP_DEPTH}" in error["message"]


async def test_a_successful_query_reports_its_actual_cost_from_the_returned_sizes(session, gql):
    key = await _customers_with_orders(session, [2, 1, 0])
    document = "{ customers(first: 10) { nodes { id orders(first: 10) { nodes { id } } } } }"

    payload = await gql.query(document, headers=key.headers)

    assert "errors" not in payload, payload
    actual = 1 + (1 + 1 + 2) + (1 + 1 + 1) + (1 + 1 + 0)
    cost = payload["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (1 + 10 * (1 + 1 + 10), actual)
    # Charged the requested cost, refunded down to the actual one; the bucket refills meanwhile.
    assert TEST_BUCKET - actual <= cost["throttleStatus"]["currentlyAvailable"] <= TEST_BUCKET


async def test_a_query_with_a_field_error_reports_its_cost(session, gql):
    key = await _customers_with_orders(session, [1])
    payload = await gql.query('{ customers(first: 5, after: "tampered") { nodes { id } } }', headers=key.headers)
    assert payload["_status"] == 200
    assert payload["errors"][0]["extensions"]["code"] == "invalid_cursor"
    cost = payload["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (6, 1)
    assert cost["throttleStatus"]["maximumAvailable"] == TEST_BUCKET


async def test_a_document_that_does_not_validate_reports_a_zero_cost(session, gql):
    key = await _customers_with_orders(session, [])
    payload = await gql.query("{ customers { nope } }", headers=key.headers)
    assert payload["_status"] == 400
    assert payload["extensions"]["cost"] == {
        "requestedQueryCost": 0,
        "actualQueryCost": None,
        "throttleStatus": FULL_TEST_BUCKET,
    }


async def test_a_body_that_is_not_a_graphql_request_reports_a_zero_cost(session, client):
    key = await _customers_with_orders(session, [])
    response = await client.post("/graphql", json={"variables": {}}, headers=key.headers)
    assert response.status_code == 400
    assert response.json()["extensions"]["cost"] == {
        "requestedQueryCost": 0,
        "actualQueryCost": None,
        "throttleStatus": None,
    }


async def test_a_mutation_over_get_reports_a_zero_cost(session, client):
    key = await _customers_with_orders(session, [])
    response = await client.get("/graphql", params={"query": "mutation { __typename }"}, headers=key.headers)
    assert response.status_code == 405
    assert response.json()["extensions"]["cost"]["requestedQueryCost"] == 0


async def test_a_document_that_does_not_parse_reports_a_zero_cost(session, gql):
    key = await _customers_with_orders(session, [])
    payload = await gql.query("{ customers ", headers=key.headers)
    assert payload["_status"] == 400
    assert payload["extensions"]["cost"]["requestedQueryCost"] == 0


# ------------------------------------------------------------------------------- the budget in the context


@dataclass
class Caller:
    app: Any
    key: Key

    async def execute(self, document: str, budget: MemoryCostBudget, variables: dict[str, Any] | None = None) -> Any:
        """Runs ``document`` as the endpoint does, with ``budget`` in the context as the limiter will put it."""
        services = services_of(self.app)
        database = RequestDatabase(services.sessionmaker)
        context = Context(
            principal=_principal(self.key),
            db=database,
            settings=services.settings,
            cursors=services.cursors,
            cost_budget=budget,
        )
        try:
            return await services.schema.execute(document, variable_values=variables, context_value=context)
        finally:
            await database.finish(commit=False)


def _principal(key: Key) -> Principal:
    return principal(
        key.id, key_id=key.key_id, store_id=key.store_id, scopes=frozenset(str(scope) for scope in ALL_SCOPES)
    )


async def test_an_operation_over_the_budget_is_throttled_before_it_runs(app, session, count_statements):
    caller = Caller(app, await _customers_with_orders(session, [1]))
    bucket = MemoryCostBudget(100, 50, clock=FakeClock())

    with count_statements() as counter:
        result = await caller.execute("{ customers(first: 150) { nodes { id } } }", bucket)

    assert counter.statements == []
    assert result.data is None
    [error] = result.errors
    assert error.extensions == {"code": "throttled", "requested_cost": 151, "retry_after": 2}
    assert result.extensions["cost"]["throttleStatus"] == {
        "maximumAvailable": 100,
        "currentlyAvailable": 100,
        "restoreRate": 50,
    }


async def test_the_budget_is_charged_the_actual_cost_once_the_operation_ran(app, session):
    caller = Caller(app, await _customers_with_orders(session, [1, 1]))
    bucket = MemoryCostBudget(1000, 50, clock=FakeClock())

    result = await caller.execute("{ customers(first: 50) { nodes { id } } }", bucket)

    assert result.errors is None
    assert result.extensions["cost"] == {
        "requestedQueryCost": 51,
        "actualQueryCost": 3,
        "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 997, "restoreRate": 50},
    }


async def test_an_operation_whose_variables_are_refused_is_refunded_in_full(app, session):
    caller = Caller(app, await _customers_with_orders(session, []))
    bucket = MemoryCostBudget(1000, 50, clock=FakeClock())

    result = await caller.execute("query($n: Int!) { customers(first: $n) { nodes { id } } }", bucket, {"n": "twelve"})

    assert result.data is None
    assert result.extensions["cost"]["actualQueryCost"] is None
    assert result.extensions["cost"]["throttleStatus"]["currentlyAvailable"] == 1000


async def test_a_refusal_over_the_limits_reports_the_bucket_without_charging_it(app, session):
    caller = Caller(app, await _customers_with_orders(session, []))
    bucket = MemoryCostBudget(1000, 50, clock=FakeClock())

    result = await caller.execute(COSTLY, bucket)

    assert result.errors[0].extensions["code"] == "query_too_costly"
    assert result.extensions["cost"]["throttleStatus"]["currentlyAvailable"] == 1000
