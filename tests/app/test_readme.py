"""The README works on a fresh machine: its examples run against the demo store it makes, with commands every
machine has, and it names every server the test script needs."""

from __future__ import annotations

import inspect
import random
import re

from storegraph import cli
from storegraph.demo import algeria
from storegraph.demo.draw import _generate
from tests.support.paths import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _guides() -> dict[str, str]:
    """Every Markdown file of the repository (not of hidden folders such as .venv or .git)."""
    tops = [path for path in REPO.iterdir() if not path.name.startswith(".")]
    paths = [path for top in tops for path in ([top] if top.is_file() else sorted(top.rglob("*")))]
    return {p.relative_to(REPO).as_posix(): p.read_text(encoding="utf-8") for p in paths if p.suffix == ".md"}


GUIDES = _guides()
_SKU = re.compile(r'"sku": "([^"]+)"')


def readme_example_skus() -> list[str]:
    """The SKUs of the README's ``POST /v1/products`` examples."""
    return _SKU.findall(README)


def test_the_readmes_product_example_uses_a_sku_the_demo_store_does_not_hold():
    products = inspect.signature(cli.demo).parameters["products"].default
    # Products are drawn first: their SKUs do not depend on how many customers and orders follow.
    drawn = _generate(random.Random(2026), customers=0, orders=0, products=products)
    demo_skus = {product.sku for product in drawn.products}

    skus = readme_example_skus()

    assert skus
    assert not set(skus) & demo_skus


def test_the_readmes_sku_is_not_of_the_form_any_demo_store_gives_its_products():
    for sku in readme_example_skus():
        for item in algeria.CATALOGUE:
            assert not re.fullmatch(rf"{re.escape(item.sku_stem)}-\d{{3,}}", sku), (sku, item.sku_stem)


def test_no_guide_uses_a_command_a_fresh_machine_may_lack():
    for name, text in GUIDES.items():
        assert "uuidgen" not in text, name


def test_no_guide_points_at_a_path_outside_the_repository():
    for name, text in GUIDES.items():
        assert "/work/" not in text, name


def test_the_readme_names_every_server_and_variable_the_test_script_checks():
    check = (REPO / "scripts" / "check_services.py").read_text(encoding="utf-8")
    variables = set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', check))

    assert variables == {"STOREGRAPH_TEST_POSTGRES", "STOREGRAPH_TEST_REDIS"}
    for variable in variables:
        assert variable in README
    for server in ("PostgreSQL", "Redis"):
        assert f"**{server}**" in README


def test_the_readme_says_a_demo_run_adds_a_store_and_how_to_reset():
    assert "Each run adds another demo store" in README
    assert "--reset" in README
