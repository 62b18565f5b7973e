#!/usr/bin/env bash
# Installs storegraph into .venv, creates a demo store on the embedded default (SQLite, ./storegraph.db),
# prints a working key and the GraphiQL URL, and serves the API. Extra arguments go to `storegraph demo`: each run
# adds another demo store, and --reset drops those of earlier runs first.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .

exec .venv/bin/storegraph demo --serve "$@"
