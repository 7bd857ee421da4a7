"""Chart values every log backend answers with: buckets over a window, breakdown rows and
per-group totals (the users page).

The window rules live here once (at most 31 days; ~15 to ~200 buckets of a minute, an hour
or a day), so the ORM and ClickHouse backends bucket the same window the same way.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

MAX_WINDOW = timedelta(days=31)
BREAKDOWN_LIMIT = 10
BREAKDOWN_ORDERS = ("requests", "cost")
MAX_GROUPS = 100
# What the users page can sort its groups by; "value" is the user (or metadata value) itself.
GROUP_SORTS = ("cost", "requests", "errors", "tokens", "p95", "last_seen", "value")


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


@dataclass
class BreakdownRow:
    value: object
    requests: int
    errors: int
    share: float
    tokens: int = 0
    cost: Decimal | None = None  # None: none of the value's calls has a price


@dataclass
class GroupRow:
    value: str | None
    requests: int
    errors: int
    tokens: int
    cost: Decimal | None  # None: none of the group's calls has a price
    unpriced: int
    p95: float | None
    last_seen: datetime


@dataclass
class GroupTotals:
    rows: list[GroupRow]
    sort: str
    descending: bool
    window_start: datetime
    window_end: datetime
    clamped: bool
    sampled: bool  # SQLite: p95 from a sample
    limited: bool  # more groups than the limit matched


def group_totals(found: list[dict], limit, *, sort, descending, window, sampled) -> GroupTotals:
    """GroupTotals from up to `limit + 1` sorted row dicts; the extra one only says "more"."""
    start, end, clamped = window
    return GroupTotals(
        rows=[
            GroupRow(
                value=row["value"],
                requests=row["requests"],
                errors=row["errors"],
                tokens=row["tokens"] or 0,
                cost=row["cost"],
                unpriced=row["unpriced"],
                p95=row.get("p95"),
                last_seen=row["last_seen"],
            )
            for row in found[:limit]
        ],
        sort=sort,
        descending=descending,
        window_start=start,
        window_end=end,
        clamped=clamped,
        sampled=sampled,
        limited=len(found) > limit,
    )


def bucket_step(window: timedelta) -> timedelta:
    """The step that keeps a window between ~15 and ~200 buckets."""
    if window <= timedelta(hours=3):
        return timedelta(minutes=1)
    if window <= timedelta(days=8):
        return timedelta(hours=1)
    return timedelta(days=1)


def floor_to_step(moment: datetime, step: timedelta) -> datetime:
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


def fill_series(found: dict, start, end, step, clamped, sampled) -> Series:
    """A bucket for every step of [start, end); `found` maps bucket starts to row dicts."""
    buckets = []
    moment = floor_to_step(start, step)
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


def breakdown_rows(grouped: list[dict], order="requests") -> list[BreakdownRow]:
    """Rows (value, requests, errors, tokens, cost), ranked already, each with its share of
    the first by `order`."""
    measure = "cost" if order == "cost" else "requests"
    top = (grouped[0][measure] or 0) if grouped else 0
    return [
        BreakdownRow(
            row["value"],
            row["requests"],
            row["errors"],
            float((row[measure] or 0) / top) if top else 0.0,
            row["tokens"] or 0,
            row["cost"],
        )
        for row in grouped
    ]


def percentile(values, fraction):
    """Linear interpolation between closest ranks: what PostgreSQL's percentile_cont returns."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
