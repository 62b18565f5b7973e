"""The JSON columns' values as the engines read them back (db/session.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.session import read_json


def test_an_empty_object_reads_as_a_new_empty_dict_each_time():
    first = read_json("{}")
    first["changed"] = True

    assert read_json("{}") == {}


def test_any_other_document_reads_as_the_standard_library_reads_it():
    assert read_json('{"big": 123456789012345678901234567890, "n": 1.5, "none": null}') == {
        "big": 123456789012345678901234567890,
        "n": 1.5,
        "none": None,
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@given(value=json_values)
def test_a_document_reads_the_same_as_with_the_standard_library(value):
    document = json.dumps(value)

    assert repr(read_json(document)) == repr(json.loads(document))


@pytest.mark.parametrize(
    "document",
    ['{"big": 123456789012345678901234567890}', '{"s": "\\ud800"}', '{"n": -0.0}'],
)
def test_what_orjson_reads_otherwise_reads_as_the_standard_library_reads_it(document):
    assert repr(read_json(document)) == repr(json.loads(document))
