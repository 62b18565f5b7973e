#!/usr/bin/env bash
# Installs storegraph with its development tools into .venv (GraphiQL's and Swagger UI's files into ui/node_modules,
# Chromium for the browser tests), checks lint, types, the layers' import rules and the OpenAPI document, and runs
# the whole test suite (every database test on SQLite and on PostgreSQL) with coverage, printed at the end.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
# GraphiQL's and Swagger UI's files, pinned by ui/package-lock.json, which storegraph serves itself (docs/running.md).
# Node.js (20.19+) and npm come with the machine, like Python.
command -v npm >/dev/null 2>&1 || { echo "npm not found: install Node.js 20.19+ (GraphiQL's files)" >&2; exit 1; }
npm ci --prefix ui --ignore-scripts --no-audit --no-fund --loglevel=error
# The browser tests (tests/app/test_browser_pages.py) drive Debian's Chromium; they fail without it.
if [ ! -x /usr/bin/chromium ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

.venv/bin/python scripts/check_services.py
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .
.venv/bin/lint-imports
# The checked-in OpenAPI document under Redocly's strict rules (any finding fails). Node.js (20.19+) and npx come with
# the machine, like Python; without them the script stops here rather than pass without the lint.
command -v npx >/dev/null 2>&1 || { echo "npx not found: install Node.js 20.19+ (Redocly lints openapi.json)" >&2; exit 1; }
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
    npx --yes @redocly/cli@2.77.0 lint --extends=recommended-strict openapi.json
# A Python client generated from it, as a client team would: every operation, one shared Error model. The
# generator pins versions of httpx and typer other than the project's, so it has a venv of its own.
python3 -m venv .venv-client-generator
.venv-client-generator/bin/python -m pip install --quiet openapi-python-client==0.29.1
.venv/bin/python scripts/check_generated_client.py .venv-client-generator/bin/openapi-python-client
# The differential test of compiled execution draws this many generated queries per database (its default, for a
# quick local run, is smaller).
export STOREGRAPH_COMPILED_EXAMPLES="${STOREGRAPH_COMPILED_EXAMPLES:-2000}"
.venv/bin/python -m pytest --cov --cov-report=term:skip-covered "$@"
