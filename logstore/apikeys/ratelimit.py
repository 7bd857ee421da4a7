"""Fixed-window request counts per API key, shared by every worker through the database.

One upsert per request counts and reads in a single atomic statement, on PostgreSQL and SQLite
alike, so the limit holds exactly across gunicorn workers with no cache service to run.
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
            # A key's first request in a window sweeps every key's ended windows.
            cursor.execute(
                f"DELETE FROM {table} WHERE window_start < %s",  # noqa: S608
                [start - period],
            )
    return count, start + period - now
