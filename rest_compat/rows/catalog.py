"""The catalogue endpoints: products and landing pages."""

from __future__ import annotations

from rest_compat import inputs
from rest_compat.endpoint import Endpoint
from rest_compat.rows.common import PAGE_INFO, PAGE_VARS, USER_ERRORS
from storegraph.platform.auth.scopes import Scope

PRODUCTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="ListProducts",
        method="GET",
        path="/v1/products",
        scope=Scope.PRODUCTS_READ,
        summary="List products, newest first",
        operation=(
            "query ListProducts($first: Int!, $after: String, $filter: ProductFilter) "
            f"{{ products(first: $first, after: $after, filter: $filter) {{ nodes {{ ...Product }} {PAGE_INFO} }} }}"
        ),
        result="products",
        result_kind="list",
        fragment="Product",
        resource="Product",
        query=inputs.ProductQuery,
        query_vars={**PAGE_VARS, "status": "filter.status", "q": "filter.search"},
    ),
    Endpoint(
        name="GetProduct",
        method="GET",
        path="/v1/products/{id}",
        scope=Scope.PRODUCTS_READ,
        summary="One product",
        operation="query GetProduct($id: ID!) { product(id: $id) { ...Product } }",
        result="product",
        fragment="Product",
        resource="Product",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="CreateProduct",
        method="POST",
        path="/v1/products",
        scope=Scope.PRODUCTS_WRITE,
        summary="Create a product",
        description="The slug is derived from the name, unique per store; a SKU already used is `conflict`.",
        operation=(
            "mutation CreateProduct($input: CreateProductInput!) "
            f"{{ createProduct(input: $input) {{ product {{ ...Product }} {USER_ERRORS} }} }}"
        ),
        result="createProduct.product",
        user_errors="createProduct.userErrors",
        fragment="Product",
        resource="Product",
        status=201,
        body=inputs.CreateProductBody,
        body_var="input",
    ),
    Endpoint(
        name="UpdateProduct",
        method="PATCH",
        path="/v1/products/{id}",
        scope=Scope.PRODUCTS_WRITE,
        summary="Change some fields of a product",
        operation=(
            "mutation UpdateProduct($input: UpdateProductInput!) "
            f"{{ updateProduct(input: $input) {{ product {{ ...Product }} {USER_ERRORS} }} }}"
        ),
        result="updateProduct.product",
        user_errors="updateProduct.userErrors",
        fragment="Product",
        resource="Product",
        path_vars={"id": "input.id"},
        body=inputs.UpdateProductBody,
        body_var="input",
    ),
    Endpoint(
        name="DeleteProduct",
        method="DELETE",
        path="/v1/products/{id}",
        scope=Scope.PRODUCTS_WRITE,
        summary="Delete a product",
        description="Orders keep their copy of its name, SKU and price.",
        operation=(
            f"mutation DeleteProduct($id: ID!) {{ deleteProduct(id: $id) {{ ...DeletedProduct {USER_ERRORS} }} }}"
        ),
        result="deleteProduct",
        user_errors="deleteProduct.userErrors",
        fragment="DeletedProduct",
        resource="Product",
        path_vars={"id": "id"},
    ),
)

LANDING_PAGES: tuple[Endpoint, ...] = (
    Endpoint(
        name="ListLandingPages",
        method="GET",
        path="/v1/landing-pages",
        scope=Scope.LANDING_PAGES_READ,
        summary="List landing pages, newest first",
        operation=(
            "query ListLandingPages($first: Int!, $after: String) "
            f"{{ landingPages(first: $first, after: $after) {{ nodes {{ ...LandingPage }} {PAGE_INFO} }} }}"
        ),
        result="landingPages",
        result_kind="list",
        fragment="LandingPage",
        resource="Landing page",
        query=inputs.LandingPageQuery,
        query_vars=PAGE_VARS,
    ),
    Endpoint(
        name="GetLandingPage",
        method="GET",
        path="/v1/landing-pages/{id}",
        scope=Scope.LANDING_PAGES_READ,
        summary="One landing page",
        operation="query GetLandingPage($id: ID!) { landingPage(id: $id) { ...LandingPage } }",
        result="landingPage",
        fragment="LandingPage",
        resource="Landing page",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="CreateLandingPage",
        method="POST",
        path="/v1/landing-pages",
        scope=Scope.LANDING_PAGES_WRITE,
        summary="Create a landing page",
        description="Without a slug one is derived from the title, unique per store; a slug already used is "
        "`conflict`. A `product_id` must be a product of the store (`not_found` otherwise).",
        operation=(
            "mutation CreateLandingPage($input: CreateLandingPageInput!) "
            f"{{ createLandingPage(input: $input) {{ landingPage {{ ...LandingPage }} {USER_ERRORS} }} }}"
        ),
        result="createLandingPage.landingPage",
        user_errors="createLandingPage.userErrors",
        fragment="LandingPage",
        resource="Landing page",
        status=201,
        body=inputs.CreateLandingPageBody,
        body_var="input",
    ),
)
