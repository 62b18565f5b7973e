"""The /v1 handler's per-request steps written for speed give what their plain forms give: the generated REST
converters (one object, a whole list) what interpreting the fragment's shape gives, the query string's split what
``parse_qsl`` gives, the ETag's identity and tag what hashing every part gives, and the one pattern of all
dynamic routes the route that trying them one by one finds."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
)
from hypothesis import given
from hypothesis import strategies as st

from rest_compat import conditional
from rest_compat.handler import RestApi, query_pairs
from rest_compat.openapi.document import compiled_table
from rest_compat.representations import FRAGMENTS
from rest_compat.router import Router, _pattern
from rest_compat.shapes import Const, Fragments, Many, Obj, Shape, Spread, leaf_converter
from storegraph.platform.auth.principal import Principal

SCHEMA, TABLE = compiled_table()
FRAGMENT_SET = Fragments(SCHEMA, FRAGMENTS)


def interpreted(name: str, obj: Any) -> Any:
    """The REST object of fragment ``name``, by reading its shape field by field (what the generated converter
    must give)."""
    return _interpret(FRAGMENT_SET.object_type(name), FRAGMENTS[name].shape, obj)


def _interpret(owner: GraphQLObjectType, shape: Shape, obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rest_name, source in shape.items():
        if isinstance(source, str):
            leaf = leaf_converter(FRAGMENT_SET.field_type(owner, source))
            out[rest_name] = obj[source] if leaf is None else leaf(obj[source])
        elif isinstance(source, Const):
            out[rest_name] = source.value
        elif isinstance(source, Obj):
            value = obj[source.source]
            out[rest_name] = None if value is None else interpreted(source.fragment, value)
        elif isinstance(source, Many):
            out[rest_name] = [interpreted(source.fragment, item) for item in obj[source.source]]
        elif isinstance(source, Spread):
            value = obj[source.source]
            out.update({} if value is None else interpreted(source.fragment, value))
        else:
            out[rest_name] = _interpret(owner, source, obj)
    return out


def sample(gql_type: GraphQLOutputType, *, nulls: bool, seed: int) -> Any:
    """A GraphQL output leaf value of ``gql_type``: null in a nullable position when ``nulls``."""
    if isinstance(gql_type, GraphQLNonNull):
        return sample(gql_type.of_type, nulls=False, seed=seed)
    if nulls:
        return None
    if isinstance(gql_type, GraphQLList):
        return [sample(gql_type.of_type, nulls=False, seed=seed + item) for item in range(2)]
    if isinstance(gql_type, GraphQLEnumType):
        names = list(gql_type.values)
        return names[seed % len(names)]
    assert isinstance(gql_type, GraphQLScalarType)
    by_name = {
        "ID": str(100 + seed),
        "DateTime": f"2026-04-{10 + seed % 20:02d}T14:22:{seed % 60:02d}Z",
        "Int": seed,
        "Money": 1500 + seed,
        "Boolean": seed % 2 == 0,
        "Float": seed / 2,
    }
    return by_name.get(gql_type.name, f"text {seed}")


def sample_object(name: str, *, nulls: bool, seed: int) -> dict[str, Any]:
    """What the operation selects of fragment ``name``: each field its shape reads, nested fragments' objects
    made the same way, nullable ones null when ``nulls``."""
    return _sample_shape(FRAGMENT_SET.object_type(name), FRAGMENTS[name].shape, nulls=nulls, seed=seed)


def _sample_shape(owner: GraphQLObjectType, shape: Shape, *, nulls: bool, seed: int) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for index, source in enumerate(shape.values()):
        if isinstance(source, str):
            obj[source] = sample(FRAGMENT_SET.field_type(owner, source), nulls=nulls, seed=seed + index)
        elif isinstance(source, Many):
            obj[source.source] = [sample_object(source.fragment, nulls=nulls, seed=seed + item) for item in range(2)]
        elif isinstance(source, Obj | Spread):
            nullable = not isinstance(FRAGMENT_SET.field_type(owner, source.source), GraphQLNonNull)
            nested = sample_object(source.fragment, nulls=nulls, seed=seed + index)
            obj[source.source] = None if nulls and nullable else nested
        elif not isinstance(source, Const):
            obj.update(_sample_shape(owner, source, nulls=nulls, seed=seed + index))
    return obj


@pytest.mark.parametrize("name", sorted(FRAGMENTS))
@pytest.mark.parametrize("nulls", [False, True])
def test_a_generated_converter_answers_the_bytes_its_shape_reads(name: str, nulls: bool) -> None:
    obj = sample_object(name, nulls=nulls, seed=3)
    assert orjson.dumps(FRAGMENT_SET.converter(name)(obj)) == orjson.dumps(interpreted(name, obj))


@pytest.mark.parametrize("name", sorted(FRAGMENTS))
def test_a_list_converter_answers_each_item_as_the_one_object_converter(name: str) -> None:
    objects = [sample_object(name, nulls=nulls, seed=seed) for seed, nulls in ((1, False), (2, True), (5, False))]
    expected = [FRAGMENT_SET.converter(name)(obj) for obj in objects]
    assert orjson.dumps(FRAGMENT_SET.list_converter(name)(objects)) == orjson.dumps(expected)


def test_an_enum_value_outside_its_type_is_lowercased_as_before() -> None:
    obj = sample_object("OrderSummary", nulls=False, seed=1)
    obj["status"] = "SOMETHING_NEW"
    assert FRAGMENT_SET.converter("OrderSummary")(obj)["status"] == "something_new"


QUERY_TEXT = st.lists(st.sampled_from([*"ab=&%+;2Fé _-.", "%2", "%zz", "%41", "=="]), max_size=20).map("".join)


@given(QUERY_TEXT)
def test_the_query_string_splits_as_parse_qsl_keeping_blank_values(query: str) -> None:
    assert query_pairs(query) == parse_qsl(query, keep_blank_values=True, strict_parsing=False)


@pytest.mark.parametrize("query", ["", "limit=50", "limit=50&cursor=", "&&limit", "a=b=c&&", "q=a+b", "q=%41"])
def test_common_query_strings_split_as_parse_qsl(query: str) -> None:
    assert query_pairs(query) == parse_qsl(query, keep_blank_values=True, strict_parsing=False)


def principal(store_id: int, key_pk: int, scopes: frozenset[str]) -> Principal:
    return Principal(key_pk, "key_x", "secret", "live", scopes, store_id, "Shop", "free", "DZ")


SCOPE_NAMES = st.frozensets(st.sampled_from(["customers:read", "orders:read", "orders:write", "keys:read"]))


@given(
    store_id=st.integers(1, 2**63 - 1),
    key_pk=st.integers(1, 2**63 - 1),
    scopes=SCOPE_NAMES,
    path=st.binary(max_size=40),
    query=st.binary(max_size=40),
    row=st.sampled_from(TABLE),
    version=st.integers(0, 2**63 - 1),
)
def test_the_etag_is_the_digest_of_every_part_in_order(
    store_id: int, key_pk: int, scopes: frozenset[str], path: bytes, query: bytes, row: Any, version: int
) -> None:
    caller = principal(store_id, key_pk, scopes)
    identity = conditional.Identities().of(caller, path, query, row)
    expected = conditional._digest(
        b"v1",
        str(store_id).encode(),
        str(key_pk).encode(),
        ",".join(sorted(scopes)).encode(),
        path,
        query,
        row.document.encode(),
    ).encode()
    assert identity == expected
    assert conditional._version_etag(identity, version) == conditional._quoted(
        conditional._digest(identity, str(version).encode())
    )


def test_a_principal_hashed_once_gives_every_later_identity_its_own_parts() -> None:
    caller = principal(7, 9, frozenset({"customers:read"}))
    row = TABLE[0]
    identities = conditional.Identities()
    first = identities.of(caller, b"/v1/customers", b"limit=1", row)
    again = identities.of(caller, b"/v1/customers", b"limit=2", row)
    assert first != again
    assert (
        again
        == conditional._digest(
            b"v1", b"7", b"9", b"customers:read", b"/v1/customers", b"limit=2", row.document.encode()
        ).encode()
    )


def test_the_principal_hashes_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conditional, "MAX_PRINCIPAL_HASHES", 3)
    identities = conditional.Identities()
    for key_pk in range(1, 8):
        identities.of(principal(1, key_pk, frozenset()), b"/v1/whoami", b"", TABLE[0])
    assert 0 < identities.kept <= 3


def test_what_the_etags_are_made_from_is_kept_by_each_rest_app_for_itself() -> None:
    """No module keeps it: two /v1 apps (two app objects) each hold their own, and one's requests fill only its
    own."""
    first, second = (RestApi(_NoRunner(), TABLE) for _ in range(2))
    assert first.identities is not second.identities
    first.identities.of(principal(1, 2, frozenset()), b"/v1/whoami", b"", TABLE[0])
    assert (first.identities.kept, second.identities.kept) == (1, 0)
    assert not [
        name
        for name, value in vars(conditional).items()
        if isinstance(value, dict | list | set) and not name.startswith("__")
    ], "no module-level mutable cache in rest_compat/conditional.py"


class _NoRunner:
    def reads(self) -> Any:
        raise AssertionError("not run")

    def operation(self, *_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("not run")


def one_by_one(method: str, path: str) -> tuple[str | None, dict[str, str], tuple[str, ...]] | None:
    """The route trying each template's own pattern in the table's order: (label, parameters, allowed)."""
    by_path: dict[str, dict[str, Any]] = {}
    for row in TABLE:
        by_path.setdefault(row.endpoint.path, {})[row.endpoint.method] = row
    for template, methods in by_path.items():
        if "{" in template:
            found = _pattern(template).fullmatch(path)
            if found is None:
                continue
            params = found.groupdict()
        elif template == path:
            params = {}
        else:
            continue
        taking = methods.get(method)
        if taking is None:
            return None, params, tuple(sorted(methods))
        return taking.endpoint.label, params, ()
    return None


def concrete_paths() -> list[str]:
    paths = []
    for row in TABLE:
        template = row.endpoint.path
        for value in ("12", "abc", "0", "9" * 30, "a%20b", ""):
            paths.append(template.replace("{id}", value).replace("{", "").replace("}", ""))
        paths.append(template + "/extra")
        paths.append(template.rstrip("/") + "/")
    return paths


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE", "PUT"])
def test_the_one_pattern_of_all_routes_finds_what_trying_each_finds(method: str) -> None:
    router = Router(TABLE)
    for path in concrete_paths():
        match = router.match(method, path)
        found = (
            None
            if match is None
            else (
                None if match.endpoint is None else match.endpoint.label,
                match.path_params,
                match.allowed,
            )
        )
        assert found == one_by_one(method, path), path


def test_a_route_with_two_parameters_reads_both() -> None:
    templates = [row.endpoint.path for row in TABLE if row.endpoint.path.count("{") >= 2]
    assert templates, "the table has a route with two parameters"
    router = Router(TABLE)
    for template in templates:
        path = template
        for index, name in enumerate(_pattern(template).groupindex):
            path = path.replace("{" + name + "}", str(40 + index))
        match = router.match("GET", path) or router.match("DELETE", path) or router.match("PATCH", path)
        assert match is not None
        assert match.path_params == {name: str(40 + index) for index, name in enumerate(_pattern(template).groupindex)}


def test_a_table_of_static_routes_only_matches_no_other_path() -> None:
    router = Router([row for row in TABLE if "{" not in row.endpoint.path])
    assert router.match("GET", "") is None
    assert router.match("GET", "/v1/customers/12") is None
    found = router.match("GET", "/v1/customers")
    assert found is not None
    assert found.endpoint is not None
