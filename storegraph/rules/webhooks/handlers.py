"""What the worker (storegraph/platform/jobs/worker.py, through storegraph/job_registry.py) runs for webhooks."""

from __future__ import annotations

from storegraph.platform.jobs.handlers import Handler, Periodic
from storegraph.rules.webhooks.deliver import deliver
from storegraph.rules.webhooks.delivery_job import DELIVER
from storegraph.rules.webhooks.dispatch import dispatch_outbox

HANDLERS: dict[str, Handler] = {DELIVER: deliver}
PERIODIC: list[Periodic] = [dispatch_outbox]
