"""What the ingest API accepted and refused, per key: daily counters and a bounded record of
refused requests. Each request appends a UsageEvent: one that reaches the write does so in the
write's own statement (logstore.apikeys.charge), `add_usage` records the others; `fold_usage`
sums them into the daily counters."""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from logstore.core.redaction import excerpt, scrub_secrets
from logstore.models import ApiKey, ApiKeyUsage, RejectedRequest, UsageEvent

logger = logging.getLogger(__name__)

# Trimming on about one insert in this many keeps the table bounded without a cron job.
TRIM_ONE_IN = 50
MAX_REASON = 1000
COUNTERS = ("accepted_logs", "accepted_requests", "rejected_requests", "bytes_received")


def add_usage(api_key_id, *, logs=0, accepted=0, rejected=0, nbytes=0):
    """Record a request that did not reach the write (which records its own usage)."""
    UsageEvent.objects.create(
        api_key_id=api_key_id,
        day=timezone.now().date(),
        accepted_logs=logs,
        accepted_requests=accepted,
        rejected_requests=rejected,
        bytes_received=nbytes,
    )


def fold_usage() -> int:
    """Move every recorded UsageEvent into the keys' daily counters; returns events folded.

    Run every ~30 s (`manage.py maintain`), so the admin's counters are exact within that
    delay. Events of keys deleted since are dropped.
    """
    table, events, keys = (
        connection.ops.quote_name(m._meta.db_table) for m in (ApiKeyUsage, UsageEvent, ApiKey)
    )
    columns = ", ".join(COUNTERS)
    sums = ", ".join(f"SUM({c})" for c in COUNTERS)
    increments = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTERS)
    upsert = f"ON CONFLICT (api_key_id, day) DO UPDATE SET {increments}"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement deletes exactly the events it adds, whatever commits meanwhile.
            cursor.execute(
                f"WITH moved AS (DELETE FROM {events} RETURNING *), "  # noqa: S608
                f"added AS (INSERT INTO {table} (api_key_id, day, {columns}) "
                f"SELECT api_key_id, day, {sums} FROM moved "
                f"WHERE EXISTS (SELECT 1 FROM {keys} k WHERE k.id = moved.api_key_id) "
                f"GROUP BY api_key_id, day {upsert}) "
                "SELECT COUNT(*) FROM moved"
            )
            return cursor.fetchone()[0]
        # SQLite: the transaction holds the database's one write lock, so no event commits
        # between the two statements.
        cursor.execute(
            f"INSERT INTO {table} (api_key_id, day, {columns}) "  # noqa: S608
            f"SELECT api_key_id, day, {sums} FROM {events} e "
            f"WHERE EXISTS (SELECT 1 FROM {keys} k WHERE k.id = e.api_key_id) "
            f"GROUP BY api_key_id, day {upsert}"
        )
        cursor.execute(f"DELETE FROM {events}")  # noqa: S608
        return cursor.rowcount


def record_rejection(*, api_key, key_prefix, path, status_code, reason, body: bytes):
    """Keep one refused request for the admin, secrets masked, then trim old ones now and then."""
    RejectedRequest.objects.create(
        workspace_id=api_key.workspace_id if api_key else None,
        api_key=api_key,
        key_prefix=key_prefix[:32],
        path=path[:500],
        status_code=status_code,
        reason=scrub_secrets(reason)[:MAX_REASON],
        excerpt=excerpt(body, settings.LOGSTORE_REJECTED_EXCERPT_CHARS),
    )
    if random.randrange(TRIM_ONE_IN) == 0:  # noqa: S311 (sampling, not security)
        trim_rejections()


def trim_rejections(keep=None, max_age_days=None):
    """Delete all but the newest `keep` rejections and any older than `max_age_days`."""
    keep = settings.LOGSTORE_REJECTED_KEEP if keep is None else keep
    max_age_days = settings.LOGSTORE_REJECTED_DAYS if max_age_days is None else max_age_days
    deleted, _ = RejectedRequest.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=max_age_days)
    ).delete()
    # The table is small and bounded, so finding the cut-off row by offset is cheap here.
    newest = RejectedRequest.objects.order_by("-id").values_list("id", flat=True)
    cutoff = list(newest[keep : keep + 1])
    if cutoff:
        deleted += RejectedRequest.objects.filter(id__lte=cutoff[0]).delete()[0]
    return deleted
