"""Fixed-window request counts per API key, shared by every worker through the database.

One upsert per request counts and reads in a single atomic statement, on PostgreSQL and SQLite
alike, so the limit holds exactly across gunicorn workers with no cache service to run. Ingest
does the same upsert inside its write (logstore.apikeys.charge); other endpoints call
`count_request`.
"""

import time

from django.db import connection

from logstore.models import RateLimitWindow


def count_request(api_key_id, period, now=None) -> tuple[int, float]:
    """Count one request of this key; returns (requests in the current window, seconds left)."""
    now = time.time() if now is None else now
    start = int(now // period) * period
    table = connection.ops.quote_name(RateLimitWindow._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (api_key_id, window_start, requests) VALUES (%s, %s, 1) "  # noqa: S608
            "ON CONFLICT (api_key_id, window_start) "
            f"DO UPDATE SET requests = {table}.requests + 1 RETURNING requests",
            [api_key_id, start],
        )
        [count] = cursor.fetchone()
    if count == 1:
        sweep_ended_windows(start - period)
    return count, start + period - now


def sweep_ended_windows(before):
    # A key's first request in a window sweeps every key's ended windows.
    table = connection.ops.quote_name(RateLimitWindow._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE window_start < %s", [before])  # noqa: S608


def sweep_after(window_requests, charge):
    """After a write counted a request (logstore.apikeys.charge), sweep as count_request does."""
    if window_requests == 1:
        sweep_ended_windows(charge.window_start - charge.rate[1])
