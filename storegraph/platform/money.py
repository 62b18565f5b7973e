"""Money: an integer amount of the store's currency, as the DZBuild API shows it (``"price": 1500`` is
1500 DZD).

Every amount a client sends is bounded by ``MAX_MONEY``. The bound is far above any real price or order total,
keeps every amount exact in a JavaScript number (below 2**53) and leaves room in the 64-bit columns
(``BigInteger``) for sums of many bounded amounts.
"""

from __future__ import annotations

from typing import TypeGuard

MAX_MONEY = 10**15


def is_money(value: object) -> TypeGuard[int]:
    """An ``int`` (not a ``bool``) between 0 and ``MAX_MONEY``."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_MONEY


def rounded_average(total: int, count: int) -> int:
    """``total / count`` rounded half up to a whole amount, in integers only (no float ever sees the amount):
    3 orders of 1000, 1000 and 1001 average 1000; 2 of 1000 and 1001 average 1001. ``count`` must be positive
    and ``total`` not negative (money is never negative)."""
    if count <= 0 or total < 0:
        raise ValueError(f"no average of {total} over {count}")
    return (2 * total + count) // (2 * count)
