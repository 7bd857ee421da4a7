"""Aggregates for the charts page: per-bucket counts, errors, tokens, cost and latency
percentiles.

Everything is computed in the database over a bounded window. Charts of whole workspaces
(no filter but the window) with hourly or daily buckets read the hourly rollups
(logstore.query.rollups) for whole hours and raw rows only for the edges: the partial hours at
the window's ends and whatever the rollups do not hold yet (the current hour). Their
percentiles come from the rollups' latency histograms, within one bucket of exact.

Otherwise raw rows answer: PostgreSQL computes percentiles with `percentile_cont`; SQLite has no
such aggregate, so there the latencies of the newest `SQLITE_PERCENTILE_SAMPLE` rows are read in
order and interpolated the same way in Python.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    Q,
    Sum,
    TextField,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncDay, TruncHour, TruncMinute

from logstore.models import ChartRollup
from logstore.query import rollups

MAX_WINDOW = timedelta(days=31)
SQLITE_PERCENTILE_SAMPLE = 20_000
BREAKDOWN_LIMIT = 10
# Calls that used tokens but matched no price: shown as "no price", and counted apart so a
# total never passes for complete when it is not.
UNPRICED = Q(cost_usd__isnull=True, total_tokens__isnull=False)
BREAKDOWN_ORDERS = ("requests", "cost")
BREAKDOWN_FIELDS = {
    "model": "model",
    "user": "user",
    "provider": "provider",
    "environment": "environment",
    "organization": "organization",
    "status": "status",
}


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the interpolated `fraction` percentile."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction, **extra):
        # Interpolated into SQL, so only ever a float from our own code.
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclass
class Bucket:
    start: datetime
    requests: int = 0
    errors: int = 0
    tokens: int = 0
    p50: float | None = None
    p95: float | None = None
    cost: Decimal = Decimal(0)  # of the calls with a price
    unpriced: int = 0  # calls with usage but no price: the cost is a lower bound when > 0

    @property
    def error_rate(self):
        return self.errors / self.requests if self.requests else 0.0


@dataclass
class Series:
    step: timedelta
    buckets: list[Bucket]
    window_start: datetime
    window_end: datetime
    clamped: bool
    sampled: bool  # percentiles come from a sample (SQLite with more rows than the sample)

    @property
    def step_label(self):
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if self.step.total_seconds() >= size:
                return f"1 {unit}"
        return str(self.step)

    @property
    def totals(self):
        requests = sum(b.requests for b in self.buckets)
        errors = sum(b.errors for b in self.buckets)
        return {
            "requests": requests,
            "errors": errors,
            "error_pct": round(100 * errors / requests, 1) if requests else 0.0,
            "tokens": sum(b.tokens for b in self.buckets),
            "cost": sum((b.cost for b in self.buckets), Decimal(0)),
            "unpriced": sum(b.unpriced for b in self.buckets),
        }


def bucket_size(window: timedelta):
    """The Trunc function and step that keep a window between ~15 and ~200 buckets."""
    if window <= timedelta(hours=3):
        return TruncMinute, timedelta(minutes=1)
    if window <= timedelta(days=8):
        return TruncHour, timedelta(hours=1)
    return TruncDay, timedelta(days=1)


SQLITE_BUCKET_FORMATS = {
    timedelta(minutes=1): "%Y-%m-%d %H:%M:00",
    timedelta(hours=1): "%Y-%m-%d %H:00:00",
    timedelta(days=1): "%Y-%m-%d 00:00:00",
}


def _bucket_expression(trunc, step):
    if connection.vendor == "sqlite":
        # Django's Trunc calls back into Python for every row on SQLite (1.9 s for 100k rows);
        # the built-in strftime does the same on UTC text in a tenth of that.
        return Func(
            Value(SQLITE_BUCKET_FORMATS[step]),
            F("created_at"),
            function="strftime",
            output_field=CharField(),
        )
    return trunc("created_at", tzinfo=UTC)


def _bucket_start(value) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def _floor(moment: datetime, step: timedelta) -> datetime:
    moment = moment.astimezone(UTC)
    if step >= timedelta(days=1):
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if step >= timedelta(hours=1):
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(second=0, microsecond=0)


def clamp_window(start: datetime, end: datetime) -> tuple[datetime, datetime, bool]:
    if end - start > MAX_WINDOW:
        return end - MAX_WINDOW, end, True
    return start, end, False


def _rollup_hours(start, end, step, rollup_workspaces):
    if rollup_workspaces is None or step < rollups.HOUR:
        return None
    return rollups.whole_hours(start, end, rollups.complete_before())


def _edges(start, end, hours):
    """The parts of [start, end) that rollups do not answer."""
    first, last = hours
    return [(lo, hi) for lo, hi in ((start, first), (last, end)) if lo < hi]


def timeseries(queryset, start: datetime, end: datetime, rollup_workspaces=None) -> Series:
    """Buckets of [start, end); `rollup_workspaces` (the workspaces `queryset` holds, when
    nothing else narrows it) lets whole hours come from the rollups."""
    start, end, clamped = clamp_window(start, end)
    trunc, step = bucket_size(end - start)
    hours = _rollup_hours(start, end, step, rollup_workspaces)
    if hours is not None:
        return _rollup_timeseries(queryset, start, end, step, clamped, rollup_workspaces, hours)
    rows = queryset.filter(created_at__gte=start, created_at__lt=end).order_by()
    aggregates = {
        "requests": Count("pk"),
        "errors": Count("pk", filter=Q(is_success=False)),
        "tokens": Sum("total_tokens"),
        "cost": Sum("cost_usd"),
        "unpriced": Count("pk", filter=UNPRICED),
    }
    postgres = connection.vendor == "postgresql"
    if postgres:
        aggregates["p50"] = PercentileCont("latency_ms", 0.5)
        aggregates["p95"] = PercentileCont("latency_ms", 0.95)
    grouped = (
        rows.annotate(bucket=_bucket_expression(trunc, step))
        .values("bucket")
        .annotate(**aggregates)
        .order_by("bucket")
    )
    found = {_floor(_bucket_start(row["bucket"]), step): row for row in grouped}
    sampled = False
    if not postgres:
        percentiles, sampled = _sampled_percentiles(rows, step)
        for key, (p50, p95) in percentiles.items():
            if key in found:
                found[key]["p50"], found[key]["p95"] = p50, p95

    buckets = []
    moment = _floor(start, step)
    while moment < end:
        row = found.get(moment, {})
        buckets.append(
            Bucket(
                start=moment,
                requests=row.get("requests", 0),
                errors=row.get("errors", 0),
                tokens=row.get("tokens") or 0,
                p50=row.get("p50"),
                p95=row.get("p95"),
                cost=row.get("cost") or Decimal(0),
                unpriced=row.get("unpriced", 0),
            )
        )
        moment += step
    return Series(step, buckets, start, end, clamped, sampled)


def _rollup_timeseries(queryset, start, end, step, clamped, workspace_ids, hours):
    sums = {}

    def add(hour, requests, errors, tokens, histogram):
        bucket = sums.setdefault(_floor(hour, step), [0, 0, 0, []])
        bucket[0] += requests
        bucket[1] += errors
        bucket[2] += tokens
        rollups.merge_histograms(bucket[3], histogram)

    stored = ChartRollup.objects.filter(
        workspace_id__in=workspace_ids, dimension="", hour__gte=hours[0], hour__lt=hours[1]
    ).values_list("hour", "requests", "errors", "tokens", "latency_histogram")
    for row in stored:
        add(*row)
    for lo, hi in _edges(start, end, hours):
        edge = queryset.filter(created_at__gte=lo, created_at__lt=hi)
        for row in rollups.hourly_aggregates(edge, dimensions=()):
            add(row.hour, row.requests, row.errors, row.tokens, row.latency_histogram)

    buckets = []
    moment = _floor(start, step)
    while moment < end:
        requests, errors, tokens, histogram = sums.get(moment, (0, 0, 0, []))
        buckets.append(
            Bucket(
                start=moment,
                requests=requests,
                errors=errors,
                tokens=tokens,
                p50=rollups.histogram_percentile(histogram, 0.5),
                p95=rollups.histogram_percentile(histogram, 0.95),
            )
        )
        moment += step
    return Series(step, buckets, start, end, clamped, sampled=False)


def _sampled_percentiles(rows, step):
    latencies = rows.filter(latency_ms__isnull=False).order_by("-created_at", "-id")
    sample = list(latencies.values_list("created_at", "latency_ms")[: SQLITE_PERCENTILE_SAMPLE + 1])
    sampled = len(sample) > SQLITE_PERCENTILE_SAMPLE
    by_bucket = {}
    for created_at, latency in sample[:SQLITE_PERCENTILE_SAMPLE]:
        by_bucket.setdefault(_floor(created_at, step), []).append(latency)
    return {
        key: (percentile(values, 0.5), percentile(values, 0.95))
        for key, values in by_bucket.items()
    }, sampled


def percentile(values, fraction):
    """Linear interpolation between closest ranks: what PostgreSQL's percentile_cont returns."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class BreakdownRow:
    value: object
    requests: int
    errors: int
    share: float
    tokens: int = 0
    cost: Decimal | None = None  # None: none of the value's calls has a price


def breakdown(
    queryset,
    start,
    end,
    dimension,
    key="",
    limit=BREAKDOWN_LIMIT,
    order="requests",
    rollup_workspaces=None,
):
    """Top `limit` values of a column (or of metadata `key`) by request count or by cost."""
    start, end, _ = clamp_window(start, end)
    hours = None
    if dimension in rollups.DIMENSIONS:
        hours = _rollup_hours(start, end, rollups.HOUR, rollup_workspaces)
    if hours is not None:
        return _rollup_breakdown(queryset, start, end, dimension, limit, rollup_workspaces, hours)
    rows = queryset.filter(created_at__gte=start, created_at__lt=end).order_by()
    if dimension == "metadata":
        rows = rows.annotate(dim=Cast(KeyTextTransform(key, "metadata_index"), TextField()))
        column = "dim"
    else:
        column = BREAKDOWN_FIELDS[dimension]
    ranking = (
        ("-requests", column) if order != "cost" else (F("cost").desc(nulls_last=True), column)
    )
    grouped = list(
        rows.values(column)
        .annotate(
            requests=Count("pk"),
            errors=Count("pk", filter=Q(is_success=False)),
            tokens=Sum("total_tokens"),
            cost=Sum("cost_usd"),
        )
        .order_by(*ranking)[:limit]
    )
    measure = "cost" if order == "cost" else "requests"
    top = (grouped[0][measure] or 0) if grouped else 0
    return [
        BreakdownRow(
            row[column],
            row["requests"],
            row["errors"],
            float((row[measure] or 0) / top) if top else 0.0,
            row["tokens"] or 0,
            row["cost"],
        )
        for row in grouped
    ]


def _rollup_breakdown(queryset, start, end, dimension, limit, workspace_ids, hours):
    column = BREAKDOWN_FIELDS[dimension]
    counts = {}
    stored = (
        ChartRollup.objects.filter(
            workspace_id__in=workspace_ids,
            dimension=dimension,
            hour__gte=hours[0],
            hour__lt=hours[1],
        )
        .values("value")
        .annotate(requests=Sum("requests"), errors=Sum("errors"))
        .order_by()
    )
    for row in stored:
        value = row["value"]
        if dimension == "status":
            value = int(value) if value else None
        pair = counts.setdefault(value, [0, 0])
        pair[0] += row["requests"]
        pair[1] += row["errors"]
    for lo, hi in _edges(start, end, hours):
        edge = queryset.filter(created_at__gte=lo, created_at__lt=hi).order_by()
        grouped = edge.values(column).annotate(
            requests=Count("pk"), errors=Count("pk", filter=Q(is_success=False))
        )
        for row in grouped:
            pair = counts.setdefault(row[column], [0, 0])
            pair[0] += row["requests"]
            pair[1] += row["errors"]
    ranked = sorted(counts.items(), key=lambda item: (-item[1][0], item[0] is None, item[0]))
    ranked = ranked[:limit]
    top = ranked[0][1][0] if ranked else 0
    return [
        BreakdownRow(value, requests, errors, requests / top)
        for value, (requests, errors) in ranked
    ]


# --- SVG geometry: plain numbers for the templates to draw ----------------------------------

WIDTH = 720
HEIGHT = 140


def nice_max(value):
    if not value or value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def bars(buckets, attribute, *, width=WIDTH, height=HEIGHT, overlay=None, label=str):
    """One rect per bucket (x, y, w, h) scaled to the largest value; `overlay` stacks a part.

    `label` formats a value for people (the axis and the tooltips), e.g. a cost as dollars.
    """
    values = [getattr(b, attribute) or 0 for b in buckets]
    top = nice_max(float(max(values, default=0)))
    slot = width / max(len(buckets), 1)
    gap = 1 if slot > 3 else 0
    out = []
    for index, (bucket, value) in enumerate(zip(buckets, values, strict=True)):
        h = float(value) / top * height
        item = {
            "x": round(index * slot, 2),
            "w": round(max(slot - gap, 0.5), 2),
            "y": round(height - h, 2),
            "h": round(h, 2),
            "bucket": bucket,
            "value": value,
            "label": label(value),
        }
        if overlay:
            part = getattr(bucket, overlay) or 0
            oh = float(part) / top * height
            item["overlay_y"], item["overlay_h"] = round(height - oh, 2), round(oh, 2)
            item["overlay_value"] = part
        out.append(item)
    return {
        "bars": out,
        "max": top,
        "max_label": label(Decimal(str(top)) if isinstance(top, float) else top),
        "width": width,
        "height": height,
    }


def lines(buckets, attributes, *, width=WIDTH, height=HEIGHT, scale=1.0):
    """A polyline per attribute; buckets without a value break nothing, they are skipped."""
    top = nice_max(
        max(
            ((getattr(b, a) or 0) * scale for b in buckets for a in attributes),
            default=0,
        )
    )
    slot = width / max(len(buckets), 1)
    series = []
    for attribute in attributes:
        points = []
        for index, bucket in enumerate(buckets):
            value = getattr(bucket, attribute)
            if value is None:
                continue
            x = round(index * slot + slot / 2, 2)
            y = round(height - value * scale / top * height, 2)
            points.append((x, y, value * scale, bucket))
        series.append(
            {
                "name": attribute,
                "points": points,
                "path": " ".join(f"{x},{y}" for x, y, _, _ in points),
            }
        )
    return {"series": series, "max": top, "width": width, "height": height}
