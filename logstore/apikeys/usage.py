"""What the ingest API accepted and refused, per key: daily counters and a bounded record of
refused requests. A request that reaches the write is counted by the write itself
(logstore.apikeys.charge); `add_usage` counts the others, outside the ingest transaction."""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from logstore.core.redaction import excerpt, scrub_secrets
from logstore.models import ApiKey, ApiKeyUsage, RejectedRequest

logger = logging.getLogger(__name__)

# Trimming on about one insert in this many keeps the table bounded without a cron job.
TRIM_ONE_IN = 50
MAX_REASON = 1000
COUNTERS = ("accepted_logs", "accepted_requests", "rejected_requests", "bytes_received")


def add_usage(api_key_id, *, logs=0, accepted=0, rejected=0, nbytes=0):
    """Add to the key's counters for today, unless the key was deleted meanwhile."""
    counts = (logs, accepted, rejected, nbytes)
    table = ApiKeyUsage._meta.db_table
    keys = ApiKey._meta.db_table
    columns = ", ".join(COUNTERS)
    increments = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTERS)
    # PostgreSQL and SQLite share this upsert; it adds to the day's row atomically, and adds
    # nothing for a key deleted since the request.
    sql = (
        f"INSERT INTO {table} (api_key_id, day, {columns}) "  # noqa: S608
        f"SELECT %s, %s, %s, %s, %s, %s WHERE EXISTS (SELECT 1 FROM {keys} WHERE id = %s) "
        f"ON CONFLICT (api_key_id, day) DO UPDATE SET {increments}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [api_key_id, timezone.now().date(), *counts, api_key_id])


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
