"""What many rows of the endpoint table write the same way."""

from __future__ import annotations

PAGE_VARS = {"limit": "first", "cursor": "after"}
USER_ERRORS = "userErrors { field code message }"
PAGE_INFO = "pageInfo { hasNextPage endCursor }"
