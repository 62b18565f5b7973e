"""The ``webhooks.deliver`` job: which event goes to which endpoint under which ``X-DZ-Delivery``.

The payload holds ids only, never the body or the secret: the handler reads both when it runs, so a job does not
carry customers' data into the queue, a deleted subscription stops its pending deliveries, and a rotated secret
signs the next attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storegraph.rules.webhooks.signing import delivery_id

DELIVER = "webhooks.deliver"


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    outbox_event_id: int
    subscription_id: int
    delivery_id: str
    # Attempts logged for this delivery before this job (a manual redelivery), so the log keeps counting.
    previous_attempts: int = 0

    @classmethod
    def of(cls, outbox_event_id: int, event_public_id: str, subscription_id: int) -> DeliveryJob:
        return cls(outbox_event_id, subscription_id, delivery_id(event_public_id, subscription_id))

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "outbox_event_id": self.outbox_event_id,
            "subscription_id": self.subscription_id,
            "delivery_id": self.delivery_id,
        }
        if self.previous_attempts:
            payload["previous_attempts"] = self.previous_attempts
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DeliveryJob:
        """``ValueError`` for a payload this release did not write."""
        try:
            outbox_event_id = payload["outbox_event_id"]
            subscription_id = payload["subscription_id"]
            delivery = payload["delivery_id"]
            previous = payload.get("previous_attempts", 0)
        except (KeyError, TypeError):
            raise ValueError("not a webhooks.deliver payload") from None
        ids = (outbox_event_id, subscription_id, previous)
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in ids) or not isinstance(
            delivery, str
        ):
            raise ValueError("not a webhooks.deliver payload")
        return cls(outbox_event_id, subscription_id, delivery, previous)
