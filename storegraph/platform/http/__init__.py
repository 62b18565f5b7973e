"""The shared ASGI middleware stack in front of both /graphql and /v1 (pure ASGI: no per-request thread hops)."""
