"""Hourly chart rollups: per workspace and hour, requests, errors, tokens, cost, unpriced calls
and a latency histogram, overall and per breakdown value, so a chart over days reads a few
hundred rows instead of every log of its window (logstore.storage.orm_rollups reads them).

They are rebuilt from raw logs, never incremented: `rebuild` recomputes a range of hours, and
`refresh` (every ~30 s, `manage.py maintain --every 30`) rebuilds the hours that received logs
since its last run. Logs are found by id: UUIDv7 ids begin with the time they were stored, and
each partition's primary key is ordered by id, so "stored since T" is one short index range
per partition whatever hour the logs belong to. `ChartRollupMark.complete_before` says up to
when the rollups hold every log: each hour's row holds the logs created in that hour before
the mark, so the current hour is rolled up to the mark too, and charts read raw rows only after
the mark (the last few minutes: `SETTLE` and the time since the last refresh) and for the
partial hour at a window's start.
"""

import math
import uuid
from bisect import bisect_right
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncHour
from django.utils import timezone

from logstore.models import UNPRICED, ChartRollup, ChartRollupMark, Log

# Bucket lower bounds in milliseconds, ~1.5x apart: p50 and p95 read from the histogram fall
# in the same bucket as the exact value, or the next one when the exact percentile sits on a
# bound between two ranks.
LATENCY_BOUNDS = (
    0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1_000, 1_500,
    2_000, 3_000, 5_000, 7_000, 10_000, 15_000, 20_000, 30_000, 50_000, 70_000, 100_000,
    150_000, 200_000, 300_000, 600_000,
)  # fmt: skip
# Columns a breakdown can be rolled up by (the charts page's BREAKDOWN_FIELDS but metadata).
DIMENSIONS = ("model", "user", "provider", "environment", "organization", "status")
# Rows that carry a latency histogram: all of an hour's logs (""), and each user's, for the
# users page's p95.
HISTOGRAM_DIMENSIONS = ("", "user")
# A transaction may commit this long after the ids it wrote were taken; refresh looks back as
# far, so a slow commit is still rolled up on the next run.
COMMIT_LAG = timedelta(minutes=2)
# A log arrives after the call it records began (its created_at), by the call's latency and
# the client's flush interval: a refresh rolls up to this long before it runs and charts read
# the minutes since raw, so a log that took up to this long to arrive counts at once.
SETTLE = timedelta(minutes=2)
HOUR = timedelta(hours=1)
REFRESH_LOCK_KEY = 0x6C6F67726F6C6C  # "logroll"


def latency_bucket(latency_ms) -> int:
    return bisect_right(LATENCY_BOUNDS, latency_ms) - 1


def histogram_percentile(counts, fraction):
    """The `fraction` percentile of a histogram, the way percentile_cont interpolates between
    the two closest ranks, each rank's value placed evenly inside its bucket."""
    total = sum(counts)
    if not total:
        return None
    position = (total - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, total - 1)
    below, above = _ranked_value(counts, low), _ranked_value(counts, high)
    return below + (above - below) * (position - low)


def _ranked_value(counts, rank):
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count > rank:
            low = LATENCY_BOUNDS[index]
            high = LATENCY_BOUNDS[index + 1] if index + 1 < len(LATENCY_BOUNDS) else low
            return low + (high - low) * ((rank - seen + 0.5) / count)
        seen += count
    return float(LATENCY_BOUNDS[-1])


def merge_histograms(into, counts):
    if len(into) < len(counts):
        into.extend([0] * (len(counts) - len(into)))
    for index, count in enumerate(counts):
        into[index] += count
    return into


def latency_bucket_expression():
    return Case(
        *(
            When(latency_ms__lt=bound, then=Value(i - 1))
            for i, bound in enumerate(LATENCY_BOUNDS)
            if i
        ),
        default=Value(len(LATENCY_BOUNDS) - 1),
        output_field=IntegerField(),
    )


def hour_expression():
    if connection.vendor == "sqlite":
        # Django's Trunc calls back into Python per row on SQLite; strftime is built in.
        return Func(
            Value("%Y-%m-%d %H:00:00"),
            F("created_at"),
            function="strftime",
            output_field=CharField(),
        )
    return TruncHour("created_at", tzinfo=UTC)


def as_hour(value) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.astimezone(UTC)


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floor = floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def call_sums():
    """What charts, rollups and the users page add up over a group of logs: requests, errors,
    tokens, cost, unpriced calls and the last call.

    Counting created_at (never NULL), not the id: with every column the overall and per-user
    sums read in the covering index log_ws_created_cover_idx, PostgreSQL answers them (and a
    chart's raw edges) from the index alone instead of visiting the wide rows.
    """
    return {
        "requests": Count("created_at"),
        "errors": Count("created_at", filter=Q(is_success=False)),
        "tokens": Sum("total_tokens"),
        "cost": Sum("cost_usd"),
        "unpriced": Count("created_at", filter=UNPRICED),
        "last_seen": Max("created_at"),
    }


def hourly_aggregates(rows, dimensions=DIMENSIONS):
    """Rollup rows (unsaved) for `rows`, a queryset of logs: one per workspace, hour and value."""
    rows = rows.order_by().annotate(hour=hour_expression())
    sums = call_sums()
    found = {}
    for dimension in ("", *dimensions):
        columns = ("workspace_id", "hour", *((dimension,) if dimension else ()))
        histogram = dimension in HISTOGRAM_DIMENSIONS
        for row in rows.values(*columns).annotate(**sums):
            key = _rollup_key(row, dimension)
            found[key] = ChartRollup(
                workspace_id=key[0],
                hour=key[1],
                dimension=dimension,
                value=key[3][:256],
                requests=row["requests"],
                errors=row["errors"],
                tokens=row["tokens"] or 0,
                cost_usd=row["cost"],
                unpriced=row["unpriced"],
                last_seen=row["last_seen"],
                latency_histogram=[0] * len(LATENCY_BOUNDS) if histogram else [],
            )
        if not histogram:
            continue
        latencies = (
            rows.filter(latency_ms__isnull=False)
            .annotate(bucket=latency_bucket_expression())
            .values(*columns, "bucket")
            .annotate(n=Count("created_at"))
        )
        for row in latencies:
            found[_rollup_key(row, dimension)].latency_histogram[row["bucket"]] += row["n"]
    return list(found.values())


def _rollup_key(row, dimension):
    value = "" if not dimension or row[dimension] is None else str(row[dimension])
    return (row["workspace_id"], as_hour(row["hour"]), dimension, value)


def rebuild(start: datetime, end: datetime, workspace_ids=None, *, before=None) -> int:
    """Recompute the rollups of every hour that overlaps [start, end); returns rows written.

    Only logs created before `before` are summed: the mark a refresh is about to set, or by
    default the current one, so that no log counted after the mark by a chart's raw edge is in
    a rollup too. Runs queue with refreshes on the same lock.
    """
    start, end = floor_hour(start), ceil_hour(end)
    with transaction.atomic():
        _lock()
        before = before or complete_before()
        logs = Log.objects.filter(
            created_at__gte=start, created_at__lt=min(end, before) if before else end
        )
        stale = ChartRollup.objects.filter(hour__gte=start, hour__lt=end)
        if workspace_ids is not None:
            logs = logs.filter(workspace_id__in=workspace_ids)
            stale = stale.filter(workspace_id__in=workspace_ids)
        fresh = hourly_aggregates(logs)
        stale.delete()
        ChartRollup.objects.bulk_create(fresh, batch_size=2_000)
    return len(fresh)


def _lock():
    # Concurrent runs queue on an advisory lock (PostgreSQL) or the write lock (SQLite).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])


def rebuild_hours(pairs, *, before=None) -> int:
    """Rebuild the rollups of each (workspace id, hour) in `pairs`; returns rows written."""
    hours = {}
    for workspace_id, hour in pairs:
        hours.setdefault(floor_hour(hour), set()).add(workspace_id)
    # Consecutive hours are rebuilt together: a backfill touching a month is a few grouped
    # queries, not a few per hour.
    ranges = []
    for hour, workspace_ids in sorted(hours.items()):
        if ranges and ranges[-1][1] == hour:
            ranges[-1][1] = hour + HOUR
            ranges[-1][2].update(workspace_ids)
        else:
            ranges.append([hour, hour + HOUR, set(workspace_ids)])
    return sum(
        rebuild(start, end, workspace_ids, before=before) for start, end, workspace_ids in ranges
    )


def forget_before(workspace_id, cutoff: datetime):
    """After retention deleted a workspace's logs older than `cutoff`: drop their hours'
    rollups and recompute the hour the cutoff falls in."""
    hour = floor_hour(cutoff)
    ChartRollup.objects.filter(workspace_id=workspace_id, hour__lt=hour).delete()
    rebuild(hour, hour + HOUR, [workspace_id])


def uuid7_floor(moment: datetime) -> uuid.UUID:
    """The smallest UUIDv7 taken at `moment` or later."""
    millis = int(moment.timestamp() * 1000)
    return uuid.UUID(int=(millis << 80) | (0x7 << 76) | (0b10 << 62))


def complete_before() -> datetime | None:
    mark = ChartRollupMark.objects.filter(pk=1).first()
    return mark.complete_before if mark else None


def refresh(now: datetime | None = None, first_run_since: timedelta = timedelta(days=31)) -> int:
    """Rebuild every hour that received logs since the last refresh; returns rows written.

    The first run, with no mark yet, rebuilds the last `first_run_since`.
    """
    with transaction.atomic():
        _lock()
        return _refresh(now or timezone.now(), first_run_since)


def _refresh(now, first_run_since):
    previous = complete_before()
    mark = now - SETTLE
    if previous is None:
        written = rebuild(mark - first_run_since, mark, before=mark)
    else:
        stored = Log.objects.filter(id__gte=uuid7_floor(previous - COMMIT_LAG))
        # A log dated ahead of when it was stored (clocks up to a day fast are accepted) was
        # left out of its hour while the mark was behind it: it joins as the mark passes it.
        reached = Log.objects.filter(created_at__gte=previous, created_at__lt=mark)
        touched = set()
        for logs in (stored, reached):
            hours = logs.order_by().annotate(hour=hour_expression())
            touched.update(hours.values_list("workspace_id", "hour").distinct())
        written = rebuild_hours(
            ((workspace_id, as_hour(hour)) for workspace_id, hour in touched), before=mark
        )
    ChartRollupMark.objects.update_or_create(pk=1, defaults={"complete_before": mark})
    return written


def rolled_up_span(start: datetime, end: datetime, mark: datetime | None):
    """The part [first, last) of [start, end) that rollups answer, or None: from the first
    whole hour up to the mark (the mark's own hour is rolled up to it) or, for a window that
    ends before the mark, up to the last whole hour."""
    if mark is None:
        return None
    first = ceil_hour(start)
    last = mark if end >= mark else floor_hour(end)
    return (first, last) if first < last else None
