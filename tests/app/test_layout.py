"""The repository's layout: the design card's four layers and ``storegraph`` are the only top-level packages, every
layer is split by the same domain names, and no product module grows past what a reader takes in at once."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

from tests.support.paths import REPO

TOP_LEVEL = ("db", "resolvers", "rest_compat", "schema", "storegraph")
MAX_LINES = 500

# Where each domain lives in each layer; a domain absent from a layer has nothing there (usage has no rules: its
# queries are the limiter's counters; stores have no list to resolve beyond the store itself).
DOMAIN_HOMES = {
    "stores": (
        "schema/stores",
        "resolvers/stores.py",
        "rest_compat/rows/stores.py",
        "db/queries/stores.py",
        "storegraph/rules/stores.py",
    ),
    "keys": (
        "schema/keys",
        "resolvers/keys.py",
        "rest_compat/rows/keys.py",
        "db/queries/keys.py",
        "storegraph/rules/keys.py",
    ),
    "catalog": (
        "schema/catalog",
        "resolvers/catalog.py",
        "rest_compat/rows/catalog.py",
        "db/queries/catalog.py",
        "storegraph/rules/catalog",
    ),
    "orders": (
        "schema/orders",
        "resolvers/orders.py",
        "rest_compat/rows/orders.py",
        "db/queries/orders.py",
        "storegraph/rules/orders",
    ),
    "customers": (
        "schema/customers",
        "resolvers/customers.py",
        "rest_compat/rows/customers.py",
        "db/queries/customers.py",
        "storegraph/rules/customers",
    ),
    "webhooks": (
        "schema/webhooks",
        "resolvers/webhooks.py",
        "rest_compat/rows/webhooks.py",
        "db/queries/webhooks.py",
        "storegraph/rules/webhooks",
    ),
    "tracking": (
        "schema/tracking",
        "resolvers/tracking.py",
        "rest_compat/rows/tracking.py",
        "db/queries/tracking.py",
        "storegraph/rules/tracking",
    ),
    "delivery": (
        "schema/delivery",
        "resolvers/delivery.py",
        "rest_compat/rows/delivery.py",
        "db/queries/delivery.py",
        "storegraph/rules/delivery.py",
    ),
    "reviews": (
        "schema/reviews",
        "resolvers/reviews.py",
        "rest_compat/rows/reviews.py",
        "db/queries/reviews.py",
        "storegraph/rules/reviews",
    ),
    "usage": ("schema/usage", "resolvers/usage.py", "rest_compat/rows/usage.py", "db/queries/usage.py"),
}


def test_the_installed_distribution_has_exactly_the_four_layers_and_storegraph_at_the_top() -> None:
    top_level = importlib.metadata.distribution("storegraph").read_text("top_level.txt") or ""
    assert tuple(sorted(top_level.split())) == TOP_LEVEL


def test_the_repository_has_no_other_top_level_package() -> None:
    packages = sorted(path.parent.name for path in REPO.glob("*/__init__.py") if path.parent.name != "tests")
    assert tuple(packages) == TOP_LEVEL


def test_storegraph_imports_beside_the_pypi_package_limits_which_still_imports_as_itself() -> None:
    program = (
        "import limits, storegraph.app, storegraph.platform.limits as ours; "
        "assert hasattr(limits, 'RateLimitItemPerMinute'), limits.__file__; "
        "assert 'site-packages' in limits.__file__, limits.__file__; "
        "assert ours.__name__ == 'storegraph.platform.limits'"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=REPO, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("package", TOP_LEVEL)
def test_no_product_module_is_over_500_lines(package: str) -> None:
    long = {
        str(path.relative_to(REPO)): lines
        for path in (REPO / package).rglob("*.py")
        if "migrations/versions" not in path.as_posix()
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.mark.parametrize("domain", sorted(DOMAIN_HOMES))
def test_each_layer_keeps_a_domain_under_the_domains_own_name(domain: str) -> None:
    for home in DOMAIN_HOMES[domain]:
        path = REPO / home
        assert path.exists(), home
        assert path.stem == domain or path.name == domain, home


def test_every_schema_and_rules_package_is_a_known_domain_or_the_shared_core() -> None:
    known = set(DOMAIN_HOMES) | {"core"}
    schema_packages = {path.parent.name for path in (REPO / "schema").glob("*/__init__.py")}
    rule_packages = {path.parent.name for path in (REPO / "storegraph" / "rules").glob("*/__init__.py")}
    assert schema_packages <= known
    assert rule_packages <= known
