"""Deterministic demo stores: realistic Algerian products, customers and cash-on-delivery orders in every status.

The whole store is drawn in memory first, from one seeded ``random.Random`` and a fixed base date, so a seed
always gives the same data; only ids, the store id inside order numbers and the API key differ between runs.
It is then written with Core bulk inserts in chunks, in one transaction. Customer totals and fraud scores are
computed from the generated orders by the rules checkout and the status machine keep, so they are exact.

``records`` holds the plain data model of the store, ``draw`` draws it from the seeded generator and ``load``
writes it to the database.
"""

from storegraph.demo.load import DemoStore, build_demo

__all__ = ["DemoStore", "build_demo"]
