"""bench/run.py's parts: storegraph against the raw baseline on the same data."""
