#!/usr/bin/env bash
# Installs storegraph with its development tools into .venv, checks lint, types and the layers' import rules, and
# runs the whole test suite (every database test on SQLite and on PostgreSQL) with coverage, printed at the end.
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
.venv/bin/python -m pytest --cov --cov-report=term:skip-covered "$@"
