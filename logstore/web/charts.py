"""Aggregates for the charts page: per-bucket counts, errors, tokens, cost and latency
percentiles.

Everything is computed in the database over a bounded window. PostgreSQL answers percentiles
with `percentile_cont`; SQLite has no such aggregate, so there the latencies of the newest
`SQLITE_PERCENTILE_SAMPLE` rows are read in order and interpolated the same way in Python.
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
        # No requests is no rate at all, not a 0% one: the line skips the bucket.
        return self.errors / self.requests if self.requests else None


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


def timeseries(queryset, start: datetime, end: datetime) -> Series:
    start, end, clamped = clamp_window(start, end)
    trunc, step = bucket_size(end - start)
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


def breakdown(queryset, start, end, dimension, key="", limit=BREAKDOWN_LIMIT, order="requests"):
    """Top `limit` values of a column (or of metadata `key`) by request count or by cost."""
    start, end, _ = clamp_window(start, end)
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
