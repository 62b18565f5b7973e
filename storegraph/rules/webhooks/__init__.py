"""Webhook delivery that loses nothing (docs/webhooks.md).

- ``dispatch``: the outbox dispatcher, a periodic task that turns committed outbox events into one delivery job per
  subscribed endpoint, then marks the events dispatched.
- ``deliver``: the ``webhooks.deliver`` job handler: sign, POST, log the attempt, retry on the schedule, disable an
  endpoint that keeps failing.
- ``signing``, ``message``: the body, the headers and the ``X-DZ-Signature`` of the DZBuild API.
- ``guard``: which target addresses may be reached at all; ``schedule``: when a failed attempt is tried again.
- ``handlers``: what the worker (storegraph/platform/jobs/worker.py) runs: ``HANDLERS`` and ``PERIODIC``.
"""
