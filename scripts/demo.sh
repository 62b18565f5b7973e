#!/usr/bin/env bash
# Installs storegraph into .venv (and GraphiQL's and Swagger UI's files into ui/node_modules), creates a demo store
# on the embedded default (SQLite, ./storegraph.db), prints a working key and the GraphiQL URL that opens with it, and
# serves the API. Extra arguments go to `storegraph demo`: each run adds another demo store, and --reset drops those
# of earlier runs first.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
# GraphiQL's and Swagger UI's files (pinned by ui/package-lock.json), served by storegraph itself: no CDN.
npm ci --prefix ui --ignore-scripts --no-audit --no-fund --loglevel=error

exec .venv/bin/storegraph demo --serve "$@"
