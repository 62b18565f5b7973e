"""The OpenAPI 3.1 document of /v1 (document.py builds it from the endpoint table)."""
