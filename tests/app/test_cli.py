"""The CLI as a user runs it: JSON on stdout, clear errors, against a throwaway SQLite database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from storegraph.cli import app
from storegraph.platform.auth.key_format import parse_platform_key
from storegraph.platform.auth.scopes import DEFAULT_PLATFORM_SCOPES

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)


def _invoke(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def test_migrate_reports_an_up_to_date_schema(cli_env):
    result = runner.invoke(app, ["migrate"])

    assert result.exit_code == 0
    assert "up to date" in result.stdout


def test_stores_create_prints_the_new_store_as_json(cli_env):
    store = _invoke("stores", "create", "--name", "Boutique Tlemcen", "--plan", "pro")

    assert store["name"] == "Boutique Tlemcen"
    assert store["plan"] == "pro"
    assert isinstance(store["id"], int)


def test_stores_create_refuses_an_unknown_plan(cli_env):
    result = runner.invoke(app, ["stores", "create", "--name", "X", "--plan", "platinum"])

    assert result.exit_code != 0
    assert "unknown plan" in result.output


def test_keys_create_prints_a_working_key_with_the_default_scopes(cli_env):
    store = _invoke("stores", "create", "--name", "Boutique Blida")

    key = _invoke("keys", "create", "--store", str(store["id"]))

    parsed = parse_platform_key(key["key"])
    assert parsed is not None
    assert parsed.key_id == key["key_id"]
    assert key["scopes"] == [scope.value for scope in DEFAULT_PLATFORM_SCOPES]
    assert key["env"] == "live"


def test_keys_create_takes_explicit_scopes_and_env(cli_env):
    store = _invoke("stores", "create", "--name", "Boutique Setif")

    key = _invoke(
        "keys", "create", "--store", str(store["id"]), "--scopes", "customers:read,keys:read", "--env", "test"
    )

    assert key["scopes"] == ["customers:read", "keys:read"]
    assert key["key"].startswith("dzpk_test_")


def test_keys_create_refuses_an_unknown_scope(cli_env):
    store = _invoke("stores", "create", "--name", "Boutique Bejaia")

    result = runner.invoke(app, ["keys", "create", "--store", str(store["id"]), "--scopes", "everything"])

    assert result.exit_code != 0
    assert "is not a scope" in result.output


def test_keys_create_refuses_an_unknown_store(cli_env):
    _invoke("stores", "create", "--name", "Boutique Annaba")

    result = runner.invoke(app, ["keys", "create", "--store", "999"])

    assert result.exit_code == 1
    assert "no store with id 999" in result.output


def test_serve_refuses_several_workers_without_redis(cli_env, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)

    result = runner.invoke(app, ["serve", "--workers", "2"])

    assert result.exit_code != 0
    assert "REDIS_URL" in result.output


def test_demo_prints_a_graphiql_url_that_opens_with_its_key(cli_env):
    demo = _invoke("demo", "--customers", "2", "--orders", "2", "--products", "1", "--port", "8123")

    assert demo["graphiql"] == f"http://127.0.0.1:8123/graphql#key={demo['key']}"
