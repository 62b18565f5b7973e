"""What the worker (jobs/worker.py, through jobs/registry.py) runs for webhooks."""

from __future__ import annotations

from jobs.handlers import Handler, Periodic
from webhooks.deliver import deliver
from webhooks.delivery_job import DELIVER
from webhooks.dispatch import dispatch_outbox

HANDLERS: dict[str, Handler] = {DELIVER: deliver}
PERIODIC: list[Periodic] = [dispatch_outbox]
