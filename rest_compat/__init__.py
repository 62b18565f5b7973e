"""The REST /v1 compatibility layer: a declarative endpoint table over the GraphQL operations."""
