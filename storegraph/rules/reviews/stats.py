"""The review statistics from an exact tally: the average to two decimals, rounded half up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from db.queries.reviews import RATINGS, RatingTally

CENT = Decimal("0.01")


def average_rating(tally: RatingTally) -> Decimal | None:
    """The mean rating rounded half up to two decimals (4.125 -> 4.13), from the integer sum and count, so no
    binary fraction rounds it the other way; ``None`` when there is no review."""
    if tally.total == 0:
        return None
    return (Decimal(tally.rating_sum) / Decimal(tally.total)).quantize(CENT, rounding=ROUND_HALF_UP)


def rating_distribution(tally: RatingTally) -> list[tuple[int, int]]:
    """``(rating, count)`` for every rating from 1 to 5, zeros included."""
    return [(rating, tally.by_rating.get(rating, 0)) for rating in RATINGS]
