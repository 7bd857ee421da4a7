"""Per-key rate limits (LOGSTORE_RATE_LIMIT) for every API endpoint, counted in the database
so that all gunicorn workers share one count (logstore.apikeys.ratelimit)."""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from logstore.apikeys.ratelimit import leases
from logstore.models import ApiKey


class ApiKeyRateThrottle(BaseThrottle):
    """At most N requests per key in each fixed window of the configured period."""

    def __init__(self):
        self._wait = None

    def allow_request(self, request, view):
        rate = settings.LOGSTORE_RATE_LIMIT
        if rate is None or not isinstance(request.auth, ApiKey):
            return True
        allowed, remaining = leases.admit(request.auth.pk, rate)
        if allowed:
            return True
        self._wait = remaining
        return False

    def wait(self):
        return self._wait
