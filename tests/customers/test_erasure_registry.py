"""The erasure cascade's registry (storegraph/rules/customers/erasure.py) decides about every column of every table
and every kind of JSON payload: a new table, column, webhook event or job kind fails here until it has an erasure
rule or an explicit entry saying it holds no personal data of a customer."""

from __future__ import annotations

import pytest

from db.base import Base
from db.queries.erasure import PAYLOAD_TABLES, Action
from storegraph.job_registry import all_handlers
from storegraph.platform.jobs.queue import DEAD_PREFIX
from storegraph.rules.customers.erasure import KEPT, KEPT_PAYLOADS, PAYLOADS, TABLES, kept_columns
from storegraph.rules.outbox import EventName

TABLE_NAMES = sorted(Base.metadata.tables)


def ruled_columns(table: str) -> set[str]:
    """The columns an erasure rule empties; every column of a table whose rows it deletes."""
    columns: set[str] = set()
    for rule in TABLES:
        if rule.table == table:
            if rule.action is Action.DELETE:
                return {column.name for column in Base.metadata.tables[table].columns}
            columns |= set(rule.columns)
    return columns


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_every_column_has_an_erasure_rule_or_is_declared_not_personal(table):
    columns = {column.name for column in Base.metadata.tables[table].columns}

    undecided = columns - ruled_columns(table) - kept_columns(table)

    assert undecided == set(), f"{table}: add these columns to TABLES or KEPT in storegraph/rules/customers/erasure.py"


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_no_column_is_both_erased_and_kept(table):
    assert ruled_columns(table) & kept_columns(table) == set()


def test_the_registry_names_only_tables_and_columns_that_exist():
    for rule in TABLES:
        table = Base.metadata.tables[rule.table]
        assert set(rule.columns) <= set(table.columns.keys()), rule.table
    for name in KEPT:
        assert kept_columns(name) <= set(Base.metadata.tables[name].columns.keys()), name


def test_every_json_column_is_a_payload_table_or_declared_not_personal():
    json_columns = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.type.__class__.__name__ in {"JSON", "JSONB"} or "JSON" in repr(column.type)
    }
    for table, column in json_columns:
        assert table in PAYLOAD_TABLES or column in ruled_columns(table) or column in kept_columns(table), (
            f"{table}.{column}"
        )


def payload_kinds(table: str) -> set[str]:
    ruled = {kind for rule in PAYLOADS if rule.table == table for kind in rule.kinds}
    return ruled | set(KEPT_PAYLOADS.get(table, {}))


@pytest.mark.parametrize("event", [event.value for event in EventName])
def test_every_webhook_event_payload_has_a_rule_or_is_declared_not_personal(event):
    assert event in payload_kinds("outbox_events")


@pytest.mark.parametrize("kind", sorted(all_handlers()))
def test_every_job_kind_payload_has_a_rule_or_is_declared_not_personal(kind):
    assert kind in payload_kinds("jobs")


def test_a_scrubbed_job_kinds_dead_letters_are_scrubbed_too():
    for rule in PAYLOADS:
        if rule.table == "jobs":
            live = {kind for kind in rule.kinds if not kind.startswith(DEAD_PREFIX)}
            assert {DEAD_PREFIX + kind for kind in live} <= rule.kinds


def test_every_rule_says_why():
    assert all(rule.why for rule in TABLES)
    assert all(rule.why for rule in PAYLOADS)
    assert all(reason for _columns, reason in KEPT.values())
