"""Fixed-window request counts per API key, shared by every worker through the database.

The count lives in one row per key and window, added to by an atomic upsert that also reads
it, on PostgreSQL and SQLite alike, so the limit holds across gunicorn workers with no cache
service to run. A process does not count each request there: it claims a share of the window
(`LEASE_SHARE`-th of the limit) and spends it locally, so a key at its usual pace costs one
statement every few dozen requests. The workers together never admit more than the limit; a
worker may refuse a request while another still holds part of its claim, so a key may be
refused up to workers × threads × claim requests early (1.5% of the limit with 3 workers).
"""

import threading
import time

from django.db import connection

from logstore.models import RateLimitWindow

# Each claim is this fraction of the limit (at least one request).
LEASE_SHARE = 200


def count_request(api_key_id, period, now=None, amount=1) -> tuple[int, float]:
    """Add `amount` requests to this key's window; returns (its count now, seconds left)."""
    now = time.time() if now is None else now
    start = int(now // period) * period
    table = connection.ops.quote_name(RateLimitWindow._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (api_key_id, window_start, requests) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (api_key_id, window_start) "
            f"DO UPDATE SET requests = {table}.requests + excluded.requests RETURNING requests",
            [api_key_id, start, amount],
        )
        [count] = cursor.fetchone()
        if count == amount:
            # A key's first claim in a window sweeps every key's ended windows.
            cursor.execute(
                f"DELETE FROM {table} WHERE window_start < %s",  # noqa: S608
                [start - period],
            )
    return count, start + period - now


class Leases:
    """What this process claimed of each key's current window and has not spent yet."""

    def __init__(self):
        self._lock = threading.Lock()
        self._left = {}

    def admit(self, api_key_id, rate, now=None) -> tuple[bool, float]:
        """Whether the key may make one more request now; and seconds until its window ends."""
        limit, period = rate
        now = time.time() if now is None else now
        start = int(now // period) * period
        slot = (api_key_id, start)
        with self._lock:
            if self._left.get(slot, 0) > 0:
                self._left[slot] -= 1
                return True, start + period - now
        claim = max(1, limit // LEASE_SHARE)
        count, wait = count_request(api_key_id, period, now=now, amount=claim)
        granted = min(claim, limit - (count - claim))
        if granted <= 0:
            return False, wait
        with self._lock:
            for stale in [s for s in self._left if s[1] < start]:
                del self._left[stale]
            self._left[slot] = self._left.get(slot, 0) + granted - 1
        return True, wait

    def clear(self):
        with self._lock:
            self._left.clear()


leases = Leases()
