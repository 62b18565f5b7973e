from __future__ import annotations

import pytest
from pydantic import ValidationError

from storegraph.platform.limits.plans import DEFAULT_PLANS
from storegraph.settings import Settings


def test_defaults_run_on_embedded_sqlite(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)

    settings = Settings(_env_file=None)

    assert settings.database_url == "sqlite+aiosqlite:///./storegraph.db"
    assert settings.redis_url is None
    assert settings.plans == DEFAULT_PLANS


def test_plans_from_the_environment_add_to_the_defaults(monkeypatch):
    monkeypatch.setenv(
        "PLANS",
        '{"unlimited": {"requests_per_minute": null, "requests_per_month": null,'
        ' "signups_per_month": null, "webhooks_per_month": null},'
        ' "free": {"requests_per_minute": 60, "requests_per_month": 10000,'
        ' "signups_per_month": 100, "webhooks_per_month": 1000}}',
    )

    plans = Settings(_env_file=None).plans

    assert plans["unlimited"].requests_per_minute is None
    assert plans["free"].requests_per_minute == 60
    assert plans["pro"] == DEFAULT_PLANS["pro"]


def test_seed_plan_limits_are_the_defaults():
    assert DEFAULT_PLANS["free"].requests_per_minute == 30
    assert DEFAULT_PLANS["free"].requests_per_month == 10_000
    assert DEFAULT_PLANS["pro"].requests_per_minute == 300
    assert DEFAULT_PLANS["pro_api"].requests_per_minute == 1_200
    assert DEFAULT_PLANS["enterprise"].requests_per_month is None


def test_a_plan_limit_beyond_32_bits_is_refused_at_start_up(monkeypatch):
    monkeypatch.setenv(
        "PLANS",
        '{"huge": {"requests_per_minute": 60, "requests_per_month": 3000000000,'
        ' "signups_per_month": null, "webhooks_per_month": null}}',
    )

    with pytest.raises(ValidationError, match="requests_per_month"):
        Settings(_env_file=None)
