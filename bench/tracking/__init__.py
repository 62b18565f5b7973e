"""bench/tracking_throughput.py's parts: signed tracking events against a raw ceiling."""
