"""Admission: whether an authenticated request may run, decided in one step before the app sees it: the key's
rate limit, the store's monthly request quota and, for a request with an Idempotency-Key, the reservation of that
key. With the Redis backends the step is one script, so one round trip; otherwise it is the limiter's call, then
the store's for an allowed request. storegraph/platform/admission/middleware.py applies it to every authenticated
request.
"""

from storegraph.platform.admission.core import Admission, Admitted, Claim, SequentialAdmission
from storegraph.platform.admission.redis_backend import RedisAdmission

__all__ = ["Admission", "Admitted", "Claim", "RedisAdmission", "SequentialAdmission"]
