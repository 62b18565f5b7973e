"""An endpoint's health: since when it fails, and when it has failed long enough to be disabled.

``failing_since`` is set by the first failed attempt after a success and cleared by the next success. A failed
attempt disables the subscription when the endpoint has been failing for ``FAILING_LIMIT``, or when a delivery
used up its whole retry schedule while the endpoint never answered any delivery successfully (an endpoint that
fails one event but takes the others keeps its subscription; that one delivery is given up and stays in the log,
to be redelivered by hand). A disabled subscription gets no new deliveries and its pending ones are dropped until
its owner enables it again (``enableWebhookSubscription``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storegraph.platform.timestamps import rest_timestamp
from storegraph.rules.webhooks.schedule import MAX_ATTEMPTS

FAILING_LIMIT = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Health:
    failing_since: datetime | None
    # Set when this attempt disables the subscription: why, and since when, as its owner reads it.
    disabled_reason: str | None = None


def after_failure(failing_since: datetime | None, now: datetime, *, given_up_since: datetime | None = None) -> Health:
    """The health after a failed attempt. ``given_up_since``: when the delivery whose schedule this attempt
    exhausted was first attempted (``None`` while it still has attempts left)."""
    since = failing_since or now
    if now - since >= FAILING_LIMIT:
        return Health(
            since,
            f"Disabled on {rest_timestamp(now)} UTC: every delivery failed for 24 hours "
            f"(failing since {rest_timestamp(since)} UTC).",
        )
    if given_up_since is not None and since <= given_up_since:
        return Health(
            since,
            f"Disabled on {rest_timestamp(now)} UTC: a delivery failed all {MAX_ATTEMPTS} attempts with no "
            f"successful delivery in between (failing since {rest_timestamp(since)} UTC).",
        )
    return Health(since)
