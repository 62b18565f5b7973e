"""addCustomerTags, removeCustomerTags, customerTags and Customer.tags, through GraphQL and /v1: the tag rule
(trimmed, 1–40 characters, no comma, unique per customer ignoring case, at most 50), the store's counts, tenant
isolation, and customers read with their tags in their own statement, compiled, answering what the standard way
answers."""

from __future__ import annotations

import dataclasses
import uuid
from collections import namedtuple
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import resolvers.customers
from db.models import Customer, CustomerTag
from resolvers.customers import tags_of_rows
from storegraph.platform.auth.scopes import Scope
from storegraph.platform.validation import Problems
from storegraph.rules.customers.tags import MAX_TAG, MAX_TAGS, normalize_tags
from tests.schema.test_compiled_differential import compiled_of, standard_only
from tests.support.factories import create_customer, create_key, create_order, create_product, create_store
from tests.support.mutation_helpers import snapshot, succeeded, user_errors

ADD = """
mutation($id: ID!, $tags: [String!]!) {
  addCustomerTags(id: $id, tags: $tags) { customer { id tags } userErrors { field code message } }
}
"""
REMOVE = """
mutation($id: ID!, $tags: [String!]!) {
  removeCustomerTags(id: $id, tags: $tags) { customer { id tags } userErrors { field code message } }
}
"""
TAGS = "{ customerTags { name count } }"


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    await session.commit()
    return store, key, customer


def writes(key) -> dict[str, str]:
    return {**key.headers, "Idempotency-Key": str(uuid.uuid4())}


async def tags_of(gql, key, customer_id: int) -> list[str]:
    payload = await gql.query(f'{{ customer(id: "{customer_id}") {{ tags }} }}', headers=key.headers)
    tags: list[str] = payload["data"]["customer"]["tags"]
    return tags


async def give_tags(session, customer: Customer, names: list[str]) -> None:
    session.add_all(
        CustomerTag(store_id=customer.store_id, customer_id=customer.id, name=name, name_key=name.lower())
        for name in names
    )
    await session.commit()


# --- the rule -------------------------------------------------------------------------------------------------


@given(st.lists(st.text(max_size=50), max_size=MAX_TAGS))
def test_normalised_tags_are_trimmed_bounded_and_unique_ignoring_case(raw):
    problems = Problems()

    tags = normalize_tags(problems, "tags", raw)

    for key, name in tags.items():
        assert name == name.strip()
        assert 1 <= len(name) <= MAX_TAG
        assert "," not in name
        assert key == name.lower()
    good = [value.strip() for value in raw if value.strip() and len(value.strip()) <= MAX_TAG]
    good = [value for value in good if "," not in value and not problems_for(value)]
    assert set(tags) == {value.lower() for value in good}
    assert len(problems.details) == len(raw) - len([value for value in raw if value.strip() in good])


@given(st.lists(st.text(min_size=1, max_size=MAX_TAG).filter(lambda t: t.strip() and "," not in t), max_size=20))
def test_normalising_normalised_tags_changes_nothing(raw):
    first = normalize_tags(Problems(), "tags", raw)

    again = normalize_tags(Problems(), "tags", list(first.values()))

    assert again == first


def problems_for(value: str) -> bool:
    problems = Problems()
    problems.plain_text("tag", value)
    return bool(problems.details)


# --- addCustomerTags and removeCustomerTags --------------------------------------------------------------------


async def test_adding_trims_and_keeps_one_spelling_per_tag_ignoring_case(gql, session, shop):
    _store, key, customer = shop
    await give_tags(session, customer, ["VIP"])

    payload = await gql.query(
        ADD, {"id": str(customer.id), "tags": [" vip ", "Wholesale", "wholesale"]}, headers=key.headers
    )

    assert succeeded(payload, "addCustomerTags")["customer"]["tags"] == ["VIP", "Wholesale"]


@pytest.mark.parametrize(
    ("tags", "field", "code"),
    [
        (["ok", "   "], "tags[1]", "blank"),
        (["x" * (MAX_TAG + 1)], "tags[0]", "too_long"),
        (["a,b"], "tags[0]", "invalid"),
        (["bad\x00"], "tags[0]", "invalid"),
        ([f"t{n}" for n in range(MAX_TAGS + 1)], "tags", "too_many"),
    ],
)
async def test_bad_tags_are_refused_and_nothing_is_added(gql, session, sessionmaker, shop, tags, field, code):
    _store, key, customer = shop
    await give_tags(session, customer, ["keep"])
    before = await snapshot(sessionmaker, Customer, customer.id)

    payload = await gql.query(ADD, {"id": str(customer.id), "tags": tags}, headers=key.headers)

    assert (field, code) in user_errors(payload, "addCustomerTags")
    assert await tags_of(gql, key, customer.id) == ["keep"]
    assert await snapshot(sessionmaker, Customer, customer.id) == before


async def test_a_customer_holds_at_most_fifty_tags(gql, session, shop):
    _store, key, customer = shop
    await give_tags(session, customer, [f"t{n:02d}" for n in range(MAX_TAGS - 1)])

    over = await gql.query(ADD, {"id": str(customer.id), "tags": ["new1", "new2", "T00"]}, headers=key.headers)
    exactly = await gql.query(ADD, {"id": str(customer.id), "tags": ["new1", "T00"]}, headers=key.headers)

    assert user_errors(over, "addCustomerTags") == [("tags", "too_many")]
    assert len(succeeded(exactly, "addCustomerTags")["customer"]["tags"]) == MAX_TAGS


async def test_removing_matches_any_case_and_ignores_tags_the_customer_lacks(gql, session, shop):
    _store, key, customer = shop
    await give_tags(session, customer, ["VIP", "wholesale"])

    payload = await gql.query(REMOVE, {"id": str(customer.id), "tags": ["vip", "never-had"]}, headers=key.headers)

    assert succeeded(payload, "removeCustomerTags")["customer"]["tags"] == ["wholesale"]


async def test_tag_changes_on_another_stores_customer_are_not_found(gql, session, shop):
    _store, key, customer = shop
    await give_tags(session, customer, ["vip"])
    other_key = await create_key(session, await create_store(session))
    await session.commit()

    added = await gql.query(ADD, {"id": str(customer.id), "tags": ["x"]}, headers=other_key.headers)
    removed = await gql.query(REMOVE, {"id": str(customer.id), "tags": ["vip"]}, headers=other_key.headers)

    assert user_errors(added, "addCustomerTags") == [("id", "not_found")]
    assert user_errors(removed, "removeCustomerTags") == [("id", "not_found")]
    assert await tags_of(gql, key, customer.id) == ["vip"]


# --- customerTags ---------------------------------------------------------------------------------------------


async def test_customer_tags_counts_the_stores_customers_per_tag_ignoring_case(gql, session, shop):
    store, key, customer = shop
    second = await create_customer(session, store)
    other_store = await create_store(session)
    stranger = await create_customer(session, other_store)
    await give_tags(session, customer, ["VIP", "wholesale"])
    await give_tags(session, second, ["vip"])
    await give_tags(session, stranger, ["vip", "secret"])

    payload = await gql.query(TAGS, headers=key.headers)

    assert payload["data"]["customerTags"] == [{"name": "VIP", "count": 2}, {"name": "wholesale", "count": 1}]


# --- /v1 ------------------------------------------------------------------------------------------------------


async def test_get_v1_customer_tags_lists_the_stores_tags_with_counts(client, session, shop):
    store, key, customer = shop
    second = await create_customer(session, store)
    stranger = await create_customer(session, await create_store(session))
    await give_tags(session, customer, ["VIP", "wholesale"])
    await give_tags(session, second, ["vip"])
    await give_tags(session, stranger, ["secret"])

    response = await client.get("/v1/customer-tags", headers=key.headers)

    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "items": [{"name": "VIP", "count": 2}, {"name": "wholesale", "count": 1}],
        "next_cursor": None,
        "has_more": False,
    }


async def test_get_v1_customer_tags_needs_customers_read(client, session, shop):
    store, _key, _customer = shop
    products_only = await create_key(session, store, scopes=(Scope.PRODUCTS_READ,))
    await session.commit()

    response = await client.get("/v1/customer-tags", headers=products_only.headers)

    assert response.status_code == 403, response.text


async def test_post_and_delete_v1_customer_tags(client, shop):
    _store, key, customer = shop
    url = f"/v1/customers/{customer.id}/tags"

    added = await client.post(url, json={"tags": ["vip", "cod-only"]}, headers=writes(key))
    removed = await client.request("DELETE", url, json={"tags": ["VIP"]}, headers=writes(key))

    assert added.status_code == 200, added.text
    assert added.json()["data"]["tags"] == ["cod-only", "vip"]
    assert removed.status_code == 200, removed.text
    assert removed.json()["data"]["tags"] == ["cod-only"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"tags": ["ok", " "]}, "tags.1"), ({"tags": []}, "tags"), ({}, "tags"), ({"tags": ["a"], "x": 1}, "x")],
)
async def test_v1_customer_tags_refuses_bad_bodies(client, gql, shop, body, field):
    _store, key, customer = shop

    response = await client.post(f"/v1/customers/{customer.id}/tags", json=body, headers=writes(key))

    assert response.status_code == 422, response.text
    assert field in [detail["field"] for detail in response.json()["error"]["details"]]
    assert await tags_of(gql, key, customer.id) == []


async def test_v1_customer_tags_of_another_store_is_404(client, session, shop):
    _store, _key, customer = shop
    other_key = await create_key(session, await create_store(session))
    await session.commit()

    response = await client.post(f"/v1/customers/{customer.id}/tags", json={"tags": ["x"]}, headers=writes(other_key))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- reads: statements and the compiled path ------------------------------------------------------------------

PAGE = (
    "query { customers(first: 200) { nodes { id tags dialCode acceptsMarketing metadata gender birthDate locale } } }"
)


async def store_with_tagged_customers(session, count: int):
    store = await create_store(session)
    key = await create_key(session, store)
    for number in range(count):
        customer = await create_customer(session, store)
        session.add_all(
            CustomerTag(store_id=store.id, customer_id=customer.id, name=name, name_key=name.lower())
            for name in (f"tag{number}", "VIP")
        )
    await session.commit()
    return key


async def test_a_page_of_200_customers_with_tags_costs_the_statements_of_a_page_of_1(gql, session, count_statements):
    one = await store_with_tagged_customers(session, 1)
    many = await store_with_tagged_customers(session, 200)
    counts = []
    for key, size in ((one, 1), (many, 200)):
        await gql.query("{ viewer { keyId } }", headers=key.headers)
        with count_statements() as counter:
            payload = await gql.query(PAGE, headers=key.headers)
        nodes = payload["data"]["customers"]["nodes"]
        assert len(nodes) == size
        assert all(len(node["tags"]) == 2 for node in nodes)
        counts.append(len([s for s in counter.statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT"))]))

    assert counts[0] == counts[1]


async def test_a_query_of_the_new_fields_runs_compiled(app, gql, session):
    key = await store_with_tagged_customers(session, 3)
    counts = compiled_of(app).counts
    before = dataclasses.replace(counts)

    payload = await gql.query(PAGE + " ", headers=key.headers)
    tags = await gql.query(TAGS, headers=key.headers)

    assert "errors" not in payload, payload
    assert tags["data"]["customerTags"][-1] == {"name": "VIP", "count": 3}
    assert counts.compiled - before.compiled == 2
    assert counts.fell_back == before.fell_back
    assert counts.not_covered == before.not_covered


BY_ID = "query($id: ID!) { customer(id: $id) { id firstName tags } }"
ORDERS_CUSTOMERS = "{ orders(first: 5) { nodes { id customer { id tags } } } }"
# Spellings whose order by key differs from their order as written, quotes and backslashes (SQLite's JSON array
# escapes them), letters beyond ASCII, a customer without tags.
AWKWARD_TAGS = (("Zèbre", 'say "hi"', "VIP", "été", "back\\slash", "apple"), ("b", "A"), ())


async def store_with_awkward_tags(session):
    store = await create_store(session)
    key = await create_key(session, store)
    product = await create_product(session, store)
    customers = []
    for names in AWKWARD_TAGS:
        customer = await create_customer(session, store)
        session.add_all(
            CustomerTag(store_id=store.id, customer_id=customer.id, name=name, name_key=name.lower()) for name in names
        )
        await create_order(session, store, customer, [(product, 1)])
        customers.append(customer.id)
    await session.commit()
    return key, customers


def queries(statements: list[str]) -> list[str]:
    return [statement for statement in statements if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT"))]


async def test_customers_read_their_tags_in_their_own_statement(app, gql, session, count_statements):
    key, customers = await store_with_awkward_tags(session)
    await gql.query("{ viewer { keyId } }", headers=key.headers)
    counts = compiled_of(app).counts
    compiled = counts.compiled
    # The key's lookup, then: the customer; the page; the orders and their customers (one statement by id).
    for document, variables, expected in (
        (BY_ID, {"id": str(customers[0])}, 2),
        (PAGE, None, 2),
        (ORDERS_CUSTOMERS, None, 3),
    ):
        with count_statements() as counter:
            payload = await gql.query(document, variables, headers=key.headers)
        assert "errors" not in payload, payload
        assert len(queries(counter.statements)) == expected, counter.statements
        assert not any("FROM customer_tags" in statement.lstrip()[:60] for statement in counter.statements)

    assert counts.compiled - compiled == 3


async def test_tags_read_with_the_customers_are_those_the_standard_way_answers(app, gql, session):
    key, customers = await store_with_awkward_tags(session)
    requests = [(BY_ID, {"id": str(customer)}) for customer in customers] + [(PAGE, None), (ORDERS_CUSTOMERS, None)]

    compiled = [(await gql.query(document, variables, headers=key.headers))["data"] for document, variables in requests]
    with standard_only(app):
        standard = [(await gql.query(text, variables, headers=key.headers))["data"] for text, variables in requests]

    assert compiled == standard
    answered = [data["customer"]["tags"] for data in compiled[: len(customers)]]
    assert answered[1:] == [["A", "b"], []]
    assert sorted(answered[0]) == sorted(AWKWARD_TAGS[0])


async def test_tags_are_read_off_the_rows_that_hold_them_and_loaded_for_the_others_in_order(monkeypatch):
    tagged = namedtuple("tagged", ["id", "tags"])
    whole = namedtuple("whole", ["id", "first_name"])
    asked = []

    async def loaded(_context, ids):
        asked.append(list(ids))
        return [[f"loaded {customer_id}"] for customer_id in ids]

    monkeypatch.setattr(resolvers.customers, "tags_of_customers", loaded)
    rows = [whole(1, "a"), tagged(2, ["held"]), whole(3, "b"), tagged(4, [])]
    context: Any = object()  # only handed on to the load

    assert await tags_of_rows(context, rows) == [["loaded 1"], ["held"], ["loaded 3"], []]
    assert await tags_of_rows(context, rows[1::2]) == [["held"], []]
    assert asked == [[1, 3]]
