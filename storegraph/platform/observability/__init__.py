"""Metrics, structured logs and traces: what an operator sees of a running process (docs/operations.md)."""
