"""The deny-by-default scope table (schema/core/permissions.py) against the schema, and the guards' behaviour."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    get_named_type,
)
from sqlalchemy import func, select

from db.models import Customer, LandingPage, Order, Product, Store, WebhookSubscription
from schema.core.build import build_schema
from schema.core.permissions import (
    AUTHENTICATED,
    FIELD_SCOPES,
    OBJECT_SCOPES,
    READ_THROUGH,
    UnclassifiedFieldError,
    object_types,
    scope_of,
)
from storegraph.platform.auth.scopes import ALL_SCOPES, WRITE_SCOPE_OF_READ, Scope, holds
from tests.support.factories import (
    Key,
    create_customer,
    create_key,
    create_landing_page,
    create_order,
    create_product,
    create_store,
)


@cache
def _schema() -> GraphQLSchema:
    """The schema as ``build_schema()`` makes it, minus the guards.

    ``build_schema()`` refuses an unclassified field at its first one; the table tests build without the
    guards so that they can list every problem at once (``test_build_schema_succeeds`` covers the real build).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("schema.core.build.install_scope_guards", lambda _schema: None)
        return build_schema()._schema


def _all_fields() -> list[tuple[str, str]]:
    return [(gql_type.name, field) for gql_type in object_types(_schema()) for field in gql_type.fields]


def _object_type(name: str, schema: GraphQLSchema | None = None) -> GraphQLObjectType:
    gql_type = (schema or _schema()).type_map[name]
    assert isinstance(gql_type, GraphQLObjectType)
    return gql_type


def _root_entries(root: str) -> list[str]:
    return sorted(name.partition(".")[2] for name in FIELD_SCOPES if name.startswith(f"{root}."))


# --- (a) every field of the schema is classified ----------------------------------------------------------------


def test_build_schema_succeeds():
    """The real build installs the guards, and refuses to build with any field left unclassified."""
    build_schema()


def test_walk_finds_the_schema_object_types():
    names = {gql_type.name for gql_type in object_types(_schema())}

    assert {"Query", "Customer", "Order", "Product", "LandingPage", "Store", "Viewer"} <= names
    assert not any(name.startswith("__") for name in names)


def test_scope_table_covers_every_field_of_the_schema():
    unclassified = []
    for type_name, field_name in _all_fields():
        try:
            scope = scope_of(type_name, field_name)
        except UnclassifiedFieldError:
            unclassified.append(f"{type_name}.{field_name}")
            continue
        assert scope == AUTHENTICATED or scope in set(Scope), f"{type_name}.{field_name}: unknown scope {scope!r}"

    assert unclassified == []


# --- (b) the table has no stale entries -------------------------------------------------------------------------


def test_object_scopes_name_only_existing_object_types():
    stale = [name for name in OBJECT_SCOPES if not isinstance(_schema().type_map.get(name), GraphQLObjectType)]

    assert stale == []


def test_object_scopes_list_only_existing_fields():
    stale = [
        f"{type_name}.{field}"
        for type_name, (_scope, fields) in OBJECT_SCOPES.items()
        if isinstance(_schema().type_map.get(type_name), GraphQLObjectType)
        for field in fields
        if field not in _object_type(type_name).fields
    ]

    assert stale == []


def test_field_scopes_name_only_existing_fields():
    stale = []
    for qualified in FIELD_SCOPES:
        type_name, _, field = qualified.partition(".")
        gql_type = _schema().type_map.get(type_name)
        if not isinstance(gql_type, GraphQLObjectType) or field not in gql_type.fields:
            stale.append(qualified)

    assert stale == []


def test_every_object_type_has_a_scope():
    missing = [gql_type.name for gql_type in object_types(_schema()) if gql_type.name not in OBJECT_SCOPES]

    assert missing == []


def test_no_field_is_classified_twice():
    twice = [
        qualified
        for qualified in FIELD_SCOPES
        if (entry := OBJECT_SCOPES.get(qualified.partition(".")[0])) is not None
        and qualified.partition(".")[2] in entry[1]
    ]

    assert twice == []


# --- (c) fields that cross into another scope say so explicitly -------------------------------------------------


def _wrapped_type(gql_type: GraphQLObjectType) -> GraphQLObjectType | None:
    """The node type of a connection or edge wrapper, else None."""
    for wrapper_field in ("node", "nodes"):
        if wrapper_field in gql_type.fields and ("cursor" in gql_type.fields or "edges" in gql_type.fields):
            inner = get_named_type(gql_type.fields[wrapper_field].type)
            return inner if isinstance(inner, GraphQLObjectType) else None
    return None


def _effective_scope(gql_type: GraphQLObjectType) -> str:
    """The scope of a type; a connection or an edge has the scope of its node."""
    inner = _wrapped_type(gql_type)
    if inner is not None:
        return _effective_scope(inner)
    return OBJECT_SCOPES[gql_type.name][0]


def test_connection_and_edge_types_have_their_nodes_scope():
    wrong = {
        gql_type.name: (OBJECT_SCOPES[gql_type.name][0], _effective_scope(gql_type))
        for gql_type in object_types(_schema())
        if _wrapped_type(gql_type) is not None and OBJECT_SCOPES[gql_type.name][0] != _effective_scope(gql_type)
    }

    assert wrong == {}


def test_fields_returning_a_type_of_another_scope_have_an_explicit_field_scope():
    wrong = {}
    for parent in object_types(_schema()):
        parent_scope = OBJECT_SCOPES[parent.name][0]
        for field_name, field in parent.fields.items():
            returned = get_named_type(field.type)
            if not isinstance(returned, GraphQLObjectType):
                continue
            needed = _effective_scope(returned)
            if needed in (AUTHENTICATED, parent_scope):
                continue
            qualified = f"{parent.name}.{field_name}"
            if FIELD_SCOPES.get(qualified) != needed and qualified not in READ_THROUGH:
                wrong[qualified] = (FIELD_SCOPES.get(qualified), needed)

    assert wrong == {}


def test_read_through_fields_stay_within_their_parents_scope():
    """A read-through field shows another resource's objects without a guard of its own: only where its parent's
    scope is enough, as the table says."""
    wrong = {
        qualified: FIELD_SCOPES.get(qualified)
        for qualified in READ_THROUGH
        if FIELD_SCOPES.get(qualified) != OBJECT_SCOPES[qualified.partition(".")[0]][0]
    }

    assert wrong == {}


@dataclass
class PayloadWalk:
    reached: set[str]
    problems: list[str]


def _walk_payload(mutation: str) -> PayloadWalk:
    """Every object type reachable from the mutation's payload, and those whose read scope the key is not known to
    have there: a path holds the mutation's (write) scope and the scope of every guard it crossed, as
    ``install_scope_guards`` places them."""
    returned = get_named_type(_object_type("Mutation").fields[mutation].type)
    assert isinstance(returned, GraphQLObjectType)
    walk = PayloadWalk(reached=set(), problems=[])
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(returned, frozenset({FIELD_SCOPES[f"Mutation.{mutation}"]}), mutation)]
    while pending:
        gql_type, held, path = pending.pop()
        if (gql_type.name, held) in seen:
            continue
        seen.add((gql_type.name, held))
        walk.reached.add(gql_type.name)
        type_scope = OBJECT_SCOPES[gql_type.name][0]
        if type_scope != AUTHENTICATED and not holds(held, type_scope):
            walk.problems.append(f"{path}: {gql_type.name} needs {type_scope}, reached holding only {sorted(held)}")
            continue
        for field_name, field in gql_type.fields.items():
            inner = get_named_type(field.type)
            if not isinstance(inner, GraphQLObjectType):
                continue
            scope = scope_of(gql_type.name, field_name)
            guarded = scope not in (AUTHENTICATED, type_scope)
            reached = held | {scope} if guarded else held
            if f"{gql_type.name}.{field_name}" in READ_THROUGH:
                reached = reached | {_effective_scope(inner)}
            pending.append((inner, reached, f"{path}.{field_name}"))
    return walk


@pytest.mark.parametrize("mutation", _root_entries("Mutation"))
def test_every_object_a_mutations_payload_reaches_is_guarded_by_a_scope_the_key_has(mutation):
    """Whatever a payload selects, the key sees an object only with its read scope: included by the mutation's write
    scope (``unbanCustomer`` → ``customer``), or checked on the way (``placeOrder`` → ``customer``)."""
    assert _walk_payload(mutation).problems == []


def test_the_payload_walk_follows_a_payload_into_other_resources():
    reached = _walk_payload("placeOrder").reached

    assert {"PlaceOrderPayload", "Order", "OrderItem", "Product", "Customer", "OrderConnection"} <= reached


def test_the_payload_walk_finds_an_object_shown_without_its_read_scope(monkeypatch):
    """The walk's own check: a payload field that showed customers under the mutation's write scope is caught."""
    monkeypatch.setitem(FIELD_SCOPES, "PlaceOrderPayload.customer", Scope.ORDERS_WRITE)

    problems = _walk_payload("placeOrder").problems

    assert any(problem.startswith("placeOrder.customer: Customer needs customers:read") for problem in problems)


def test_every_write_scope_that_has_a_read_scope_includes_it():
    writes_with_reads = {
        scope.value
        for scope in Scope
        if scope.value.endswith(":write") and scope.value.replace(":write", ":read") in set(Scope)
    }

    assert set(WRITE_SCOPE_OF_READ.values()) == writes_with_reads
    assert all(read == write.replace(":write", ":read") for read, write in WRITE_SCOPE_OF_READ.items())


def test_guard_is_installed_on_every_field_that_changes_scope():
    """Every field whose scope differs from its type's is wrapped by install_scope_guards."""
    guarded_schema = build_schema()._schema
    unguarded = []
    for type_name, field_name in _all_fields():
        if scope_of(type_name, field_name) in (AUTHENTICATED, OBJECT_SCOPES[type_name][0]):
            continue
        resolve = _object_type(type_name, guarded_schema).fields[field_name].resolve
        if getattr(resolve, "__name__", None) != "guarded":
            unguarded.append(f"{type_name}.{field_name}")

    assert unguarded == []


# --- private columns are not in the schema ----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["deviceFingerprint", "identityId", "device_fingerprint", "identity_id"])
def test_private_customer_columns_are_not_fields_of_customer(field):
    assert field not in _object_type("Customer").fields


def test_private_customer_columns_are_not_fields_of_any_object_type():
    leaking = [
        f"{type_name}.{field}"
        for type_name, field in _all_fields()
        if field.lower().replace("_", "") in {"devicefingerprint", "identityid"}
    ]

    assert leaking == []


# --- (d) behaviour ----------------------------------------------------------------------------------------------


@dataclass
class Shop:
    store: Store
    customers: list[Customer]
    product: Product
    order: Order
    page: LandingPage
    subscription: WebhookSubscription

    TYPES_WITH_ROWS: ClassVar[frozenset[str]] = frozenset({"Customer", "Order", "Product", "LandingPage"})

    def id_of(self, type_name: str) -> int:
        rows: dict[str, Customer | Order | Product | LandingPage | WebhookSubscription] = {
            "Customer": self.customers[0],
            "Order": self.order,
            "Product": self.product,
            "LandingPage": self.page,
            "WebhookSubscription": self.subscription,
        }
        row = rows.get(type_name)
        # A type without a row here still gets a well-formed id: the guard refuses before any lookup.
        return int(row.id) if row is not None else 1


@pytest.fixture
async def shop(session) -> Shop:
    store = await create_store(session)
    customers = [await create_customer(session, store), await create_customer(session, store)]
    product = await create_product(session, store)
    order = await create_order(session, store, customers[0], [(product, 2)])
    page = await create_landing_page(session, store, product=product)
    subscription = WebhookSubscription(store_id=store.id, url="https://example.com/h", events=[], secret="whsec_x")
    session.add(subscription)
    await session.commit()
    return Shop(store=store, customers=customers, product=product, order=order, page=page, subscription=subscription)


async def _key_without(session, store: Store, *missing: Scope) -> Key:
    """A key holding every scope that does not give one of ``missing`` (a write scope gives its read scope)."""
    key = await create_key(
        session, store, scopes=tuple(scope for scope in ALL_SCOPES if not any(holds({scope}, m) for m in missing))
    )
    await session.commit()
    return key


def _only_error(payload, path: list) -> dict:
    matching = [error for error in payload.get("errors", []) if error.get("path") == path]
    assert len(matching) == 1, payload
    return matching[0]


def _assert_insufficient_scope(error: dict, scope: str) -> None:
    assert error["extensions"]["code"] == "insufficient_scope"
    assert scope in error["message"]


async def test_list_without_its_scope_is_refused_while_siblings_answer(session, gql, shop):
    key = await _key_without(session, shop.store, Scope.CUSTOMERS_READ)

    payload = await gql.query(
        "{ customers { totalCount } products { totalCount } store { name } }", headers=key.headers
    )

    assert payload["_status"] == 200
    assert payload["data"]["customers"] is None
    assert payload["data"]["products"] == {"totalCount": 1}
    assert payload["data"]["store"] == {"name": shop.store.name}
    assert len(payload["errors"]) == 1
    _assert_insufficient_scope(_only_error(payload, ["customers"]), "customers:read")


async def test_single_customer_without_customers_read_is_refused(session, gql, shop):
    key = await _key_without(session, shop.store, Scope.CUSTOMERS_READ)

    payload = await gql.query(
        "query($id: ID!) { customer(id: $id) { id firstName } store { name } }",
        {"id": str(shop.customers[0].id)},
        headers=key.headers,
    )

    assert payload["data"] == {"customer": None, "store": {"name": shop.store.name}}
    assert len(payload["errors"]) == 1
    _assert_insufficient_scope(_only_error(payload, ["customer"]), "customers:read")


async def test_order_customer_without_customers_read_is_refused_but_order_answers(session, gql, shop):
    key = await _key_without(session, shop.store, Scope.CUSTOMERS_READ)

    payload = await gql.query(
        "query($id: ID!) { order(id: $id) { orderNumber customer { id } } }",
        {"id": str(shop.order.id)},
        headers=key.headers,
    )

    assert payload["data"] == {"order": {"orderNumber": shop.order.order_number, "customer": None}}
    assert len(payload["errors"]) == 1
    _assert_insufficient_scope(_only_error(payload, ["order", "customer"]), "customers:read")


async def test_customer_orders_answer_a_key_with_customers_read_alone(session, gql, shop):
    key = await create_key(session, shop.store, scopes=(Scope.CUSTOMERS_READ,))
    await session.commit()

    payload = await gql.query(
        "query($id: ID!) { customer(id: $id) { id orders { totalCount nodes { id orderNumber total } } } }",
        {"id": str(shop.customers[0].id)},
        headers=key.headers,
    )

    assert "errors" not in payload, payload
    orders = payload["data"]["customer"]["orders"]
    assert orders["totalCount"] == 1
    assert orders["nodes"] == [
        {"id": str(shop.order.id), "orderNumber": shop.order.order_number, "total": shop.order.total}
    ]


async def test_customer_orders_answer_a_key_with_customers_write_alone(session, gql, shop):
    key = await create_key(session, shop.store, scopes=(Scope.CUSTOMERS_WRITE,))
    await session.commit()

    payload = await gql.query("{ customers { nodes { orders { totalCount } } } }", headers=key.headers)

    assert "errors" not in payload, payload
    assert sorted(node["orders"]["totalCount"] for node in payload["data"]["customers"]["nodes"]) == [0, 1]


async def test_the_stores_orders_still_need_orders_read_from_a_customers_key(session, gql, shop):
    key = await create_key(session, shop.store, scopes=(Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE))
    await session.commit()

    payload = await gql.query(
        "query($id: ID!) { orders { totalCount } order(id: $id) { id } }",
        {"id": str(shop.order.id)},
        headers=key.headers,
    )

    assert payload["data"] == {"orders": None, "order": None}
    _assert_insufficient_scope(_only_error(payload, ["orders"]), "orders:read")
    _assert_insufficient_scope(_only_error(payload, ["order"]), "orders:read")


async def test_order_item_product_without_products_read_is_refused_but_item_answers(session, gql, shop):
    key = await _key_without(session, shop.store, Scope.PRODUCTS_READ)

    payload = await gql.query(
        "query($id: ID!) { order(id: $id) { items { productName product { id } } } }",
        {"id": str(shop.order.id)},
        headers=key.headers,
    )

    assert payload["data"] == {"order": {"items": [{"productName": shop.product.name, "product": None}]}}
    assert len(payload["errors"]) == 1
    _assert_insufficient_scope(_only_error(payload, ["order", "items", 0, "product"]), "products:read")


async def test_landing_page_product_without_products_read_is_refused_but_page_answers(session, gql, shop):
    key = await _key_without(session, shop.store, Scope.PRODUCTS_READ)

    payload = await gql.query(
        "query($id: ID!) { landingPage(id: $id) { title product { id } } }",
        {"id": str(shop.page.id)},
        headers=key.headers,
    )

    assert payload["data"] == {"landingPage": {"title": shop.page.title, "product": None}}
    _assert_insufficient_scope(_only_error(payload, ["landingPage", "product"]), "products:read")


async def test_viewer_works_for_a_key_without_scopes(session, gql, shop):
    key = await create_key(session, shop.store, scopes=())
    await session.commit()

    payload = await gql.query("{ viewer { keyId scopes storeId } whoami { keyId } }", headers=key.headers)

    assert "errors" not in payload
    assert payload["data"]["viewer"] == {"keyId": key.key_id, "scopes": [], "storeId": str(shop.store.id)}
    assert payload["data"]["whoami"] == {"keyId": key.key_id}


async def test_key_without_scopes_is_refused_everything_else(session, gql, shop):
    key = await create_key(session, shop.store, scopes=())
    await session.commit()

    payload = await gql.query(
        "{ store { name } customers { totalCount } orders { totalCount } products { totalCount } "
        "landingPages { totalCount } }",
        headers=key.headers,
    )

    assert payload["data"] == dict.fromkeys(("store", "customers", "orders", "products", "landingPages"))
    assert {error["extensions"]["code"] for error in payload["errors"]} == {"insufficient_scope"}
    assert len(payload["errors"]) == 5


def _root_query_document(field_name: str, shop: Shop) -> str:
    field = _object_type("Query").fields[field_name]
    arguments = ""
    if "id" in field.args:
        returned = get_named_type(field.type)
        arguments = f'(id: "{shop.id_of(returned.name)}")'
    elif "subscriptionId" in field.args:
        arguments = f'(subscriptionId: "{shop.id_of("WebhookSubscription")}")'
    return f"{{ {field_name}{arguments} {{ __typename }} }}"


@pytest.mark.parametrize("field_name", _root_entries("Query"))
async def test_root_query_field_is_refused_without_its_scope(session, gql, shop, field_name):
    scope = Scope(FIELD_SCOPES[f"Query.{field_name}"])
    key = await _key_without(session, shop.store, scope)

    payload = await gql.query(_root_query_document(field_name, shop), headers=key.headers)

    # A non-null root field (customerTags) takes the whole data with it, as GraphQL nulls propagate.
    non_null = isinstance(_object_type("Query").fields[field_name].type, GraphQLNonNull)
    assert payload["data"] == (None if non_null else {field_name: None})
    assert len(payload["errors"]) == 1
    error = _only_error(payload, [field_name])
    _assert_insufficient_scope(error, scope.value)
    assert error["message"] == f"This key lacks the '{scope.value}' scope."


@pytest.mark.parametrize("field_name", _root_entries("Query"))
async def test_root_query_field_answers_with_only_its_scope(session, gql, shop, field_name):
    scope = Scope(FIELD_SCOPES[f"Query.{field_name}"])
    key = await create_key(session, shop.store, scopes=(scope,))
    await session.commit()

    payload = await gql.query(_root_query_document(field_name, shop), headers=key.headers)

    assert [error for error in payload.get("errors", []) if error["extensions"]["code"] == "insufficient_scope"] == []
    returned = get_named_type(_object_type("Query").fields[field_name].type)
    if returned.name in Shop.TYPES_WITH_ROWS or "id" not in _object_type("Query").fields[field_name].args:
        assert "errors" not in payload
        assert payload["data"][field_name] is not None


def _placeholder(gql_type: GraphQLInputType) -> str:
    """A literal that passes validation for a required argument; the guard refuses before it is used."""
    if isinstance(gql_type, GraphQLNonNull):
        return _placeholder(gql_type.of_type)
    if isinstance(gql_type, GraphQLList):
        return f"[{_placeholder(gql_type.of_type)}]"
    if isinstance(gql_type, GraphQLEnumType):
        return next(iter(gql_type.values))
    if isinstance(gql_type, GraphQLInputObjectType):
        required = [
            f"{name}: {_placeholder(field.type)}"
            for name, field in gql_type.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        ]
        return "{" + ", ".join(required) + "}"
    assert isinstance(gql_type, GraphQLScalarType)
    literals = {"Int": "1", "Money": "1", "Float": "1.0", "Boolean": "true", "DateTime": '"2026-01-01T00:00:00Z"'}
    return literals.get(gql_type.name, '"1"')


def _root_mutation_document(field_name: str) -> str:
    field = _object_type("Mutation").fields[field_name]
    required = [
        f"{name}: {_placeholder(argument.type)}"
        for name, argument in field.args.items()
        if isinstance(argument.type, GraphQLNonNull)
    ]
    arguments = f"({', '.join(required)})" if required else ""
    return f"mutation {{ {field_name}{arguments} {{ __typename }} }}"


@pytest.mark.parametrize("field_name", _root_entries("Mutation"))
async def test_root_mutation_field_is_refused_without_its_scope(session, gql, shop, field_name):
    scope = Scope(FIELD_SCOPES[f"Mutation.{field_name}"])
    key = await _key_without(session, shop.store, scope)

    payload = await gql.query(_root_mutation_document(field_name), headers=key.headers)

    # Mutation fields are nullable: the refusal nulls that field alone and the request still executed.
    assert payload["_status"] == 200
    assert payload["data"] == {field_name: None}
    error = _only_error(payload, [field_name])
    _assert_insufficient_scope(error, scope.value)


async def test_refused_create_product_writes_nothing(session, gql, shop):
    key = await _key_without(session, shop.store, Scope.PRODUCTS_WRITE)
    count = select(func.count()).select_from(Product).where(Product.store_id == shop.store.id)
    before = (await session.execute(count)).scalar_one()
    await session.commit()

    payload = await gql.query(
        'mutation { createProduct(input: {name: "Refused", price: 100}) { product { id } } }', headers=key.headers
    )

    _assert_insufficient_scope(_only_error(payload, ["createProduct"]), "products:write")
    after = (await session.execute(count)).scalar_one()
    await session.commit()
    assert after == before


@pytest.mark.parametrize("field", ["deviceFingerprint", "identityId"])
async def test_querying_private_customer_columns_fails_validation(session, gql, shop, field):
    key = await create_key(session, shop.store)
    await session.commit()

    payload = await gql.query(f"{{ customers {{ nodes {{ id {field} }} }} }}", headers=key.headers)

    assert payload["_status"] == 400
    assert payload.get("data") is None
    assert field in payload["errors"][0]["message"]
    assert payload["errors"][0]["extensions"]["code"] == "validation_error"
