"""Where the repository's files are, for tests that read them or start processes from them."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SUPPORT = REPO / "tests" / "support"
