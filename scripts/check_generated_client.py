"""Generates a Python client from openapi.json with openapi-python-client, as a client team would, and fails unless
every operation was generated without a warning and every error answer parses into the one shared ``Error`` model.

Run by scripts/test.sh with the generator installed in a venv of its own (its pins differ from the project's):
``python scripts/check_generated_client.py <openapi-python-client executable>``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(generator: str) -> int:
    document = json.loads((REPO / "openapi.json").read_text())
    operations = {operation["operationId"] for item in document["paths"].values() for operation in item.values()}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "client"
        run = subprocess.run(  # noqa: S603 - the generator named by the test script, on the repository's document
            [generator, "generate", "--path", str(REPO / "openapi.json"), "--meta", "none", "--output-path", str(out)],
            capture_output=True,
            text=True,
            check=False,
            # Its post-hooks run the ruff of its own venv.
            env={**os.environ, "PATH": f"{Path(generator).absolute().parent}{os.pathsep}{os.environ.get('PATH', '')}"},
        )
        printed = run.stdout + run.stderr
        problems = []
        if run.returncode != 0 or "Warning" in printed or "WARNING" in printed:
            problems.append(f"the generator warned or failed:\n{printed}")
        modules = {path.stem for path in (out / "api").glob("*/*.py") if path.stem != "__init__"}
        if len(modules) != len(operations):
            problems.append(f"{len(operations)} operations in the document, {len(modules)} generated")
        error_models = sorted(path.stem for path in (out / "models").glob("*.py") if "error" in path.stem)
        if "error" not in error_models:
            problems.append("no shared Error model")
        # Per-operation error classes are named after the operation (``get_product_response_404``).
        per_operation = [name for name in error_models if "response" in name]
        if per_operation:
            problems.append(f"per-operation error models: {per_operation}")
    for problem in problems:
        print(f"check_generated_client: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_generated_client: {len(modules)} operations generated, one shared Error model")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
