"""Signed public-key tracking: POST /v1/signups and POST /v1/events (docs/tracking.md).

The request side verifies signatures (``signatures``, ``replay``), validates bodies (``validation``) and hands the
work to the job queue (``accept``, ``jobs``); the worker side stores it and counts it (``handlers``).
"""
