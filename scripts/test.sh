#!/usr/bin/env bash
# Installs storegraph with its development tools into .venv, checks lint, types, the layers' import rules and the
# OpenAPI document, and runs the whole test suite (every database test on SQLite and on PostgreSQL) with coverage,
# printed at the end.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'

.venv/bin/python scripts/check_services.py
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .
.venv/bin/lint-imports
# The checked-in OpenAPI document under Redocly's strict rules (any finding fails), where Node.js (20.19+) is
# installed; tests/rest_compat/test_openapi.py checks the same structure whether or not it is.
if command -v npx >/dev/null 2>&1; then
    REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
        npx --yes @redocly/cli@2.77.0 lint --extends=recommended-strict openapi.json
else
    echo "Redocly lint skipped: npx not found (install Node.js 20.19+ to run it)" >&2
fi
.venv/bin/python -m pytest --cov --cov-report=term:skip-covered "$@"
