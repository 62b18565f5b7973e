"""The JSON columns' values as the engines read them back (db/session.py)."""

from __future__ import annotations

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
