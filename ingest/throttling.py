"""Per-key rate limits (LOGSTORE_RATE_LIMIT), counted in the "ratelimit" cache that every
gunicorn worker shares: the database cache table by default, Redis when REDIS_URL is set."""

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError
from rest_framework.throttling import BaseThrottle

from logstore.models import ApiKey

logger = logging.getLogger(__name__)


class ApiKeyRateThrottle(BaseThrottle):
    """A fixed window per key: at most N requests per period, whatever the endpoint.

    The database cache's increment is a read then a write, so concurrent workers can let a
    few requests past the limit; Redis increments atomically. Either way it is backpressure,
    not billing.
    """

    def __init__(self):
        self._wait = None

    def allow_request(self, request, view):
        rate = settings.LOGSTORE_RATE_LIMIT
        if rate is None or not isinstance(request.auth, ApiKey):
            return True
        limit, period = rate
        now = time.time()
        window = int(now // period)
        key = f"ratelimit:{request.auth.pk}:{window}"
        cache = caches["ratelimit"]
        try:
            count = 1 if cache.add(key, 1, timeout=period + 1) else cache.incr(key)
        except ValueError:  # the window expired between add and incr
            cache.set(key, 1, timeout=period + 1)
            count = 1
        except DatabaseError:
            raise  # the database is away: the API answers 503 anyway
        except Exception as exc:  # a Redis outage must not stop ingestion
            logger.warning("rate limit not checked, cache unavailable: %s", exc)
            return True
        if count <= limit:
            return True
        self._wait = (window + 1) * period - now
        return False

    def wait(self):
        return self._wait
