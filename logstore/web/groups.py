"""Who spent it: per value of one dimension (the user, or any metadata key such as customer,
feature or tier) in a window, the requests, errors, tokens, cost, p95 latency and last call.

One query groups the window; PostgreSQL answers it from the covering index
`log_ws_created_cover_idx` when grouping by user. SQLite has no percentile aggregate, so
there p95 comes from the newest `SQLITE_PERCENTILE_SAMPLE` calls of the groups shown, as on
the charts page.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Max, Q, Sum, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from logstore.query.series import clamp_window, percentile
from logstore.storage.orm import SQLITE_PERCENTILE_SAMPLE, UNPRICED, PercentileCont

MAX_GROUPS = 100
# Sort keys people can ask for, and the aggregate each orders by.
SORTS = ("cost", "requests", "errors", "tokens", "p95", "last_seen", "value")


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
    limited: bool  # more groups than MAX_GROUPS matched


def group_totals(
    queryset, start, end, *, key="", sort="cost", descending=True, limit=MAX_GROUPS
) -> GroupTotals:
    """The top `limit` users (or values of metadata `key`) of `queryset` in [start, end)."""
    start, end, clamped = clamp_window(start, end)
    sort = sort if sort in SORTS else "cost"
    rows = queryset.filter(created_at__gte=start, created_at__lt=end).order_by()
    if key:
        rows = rows.annotate(value=Cast(KeyTextTransform(key, "metadata_index"), TextField()))
    else:
        rows = rows.annotate(value=F("user"))
    postgres = connection.vendor == "postgresql"
    # Counting created_at (never NULL) rather than the id keeps every column in the index.
    aggregates = {
        "requests": Count("*"),
        "errors": Count("created_at", filter=Q(is_success=False)),
        "tokens": Sum("total_tokens"),
        "cost": Sum("cost_usd"),
        "unpriced": Count("created_at", filter=UNPRICED),
        "last_seen": Max("created_at"),
    }
    if postgres:
        aggregates["p95"] = PercentileCont("latency_ms", 0.95)
    grouped = rows.values("value").annotate(**aggregates)
    in_sql = postgres or sort != "p95"
    if in_sql:
        ordering = F(sort)
        ordering = ordering.desc(nulls_last=True) if descending else ordering.asc(nulls_last=True)
        grouped = grouped.order_by(ordering, "value")
    found = list(grouped[: limit + 1] if in_sql else grouped)
    sampled = False
    if not postgres:
        sampled = _sample_p95(rows, found)
    if not in_sql:
        known = [row for row in found if row["p95"] is not None]
        known.sort(key=lambda row: row["p95"], reverse=descending)
        found = known + [row for row in found if row["p95"] is None]
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


def _sample_p95(rows, found) -> bool:
    """Sets each found group's "p95" from its newest calls; True if the sample was cut."""
    values = [row["value"] for row in found]
    latencies = rows.filter(latency_ms__isnull=False)
    if len(values) <= MAX_GROUPS:
        named = Q(value__in=[v for v in values if v is not None])
        latencies = latencies.filter(named | Q(value__isnull=True) if None in values else named)
    sample = list(
        latencies.order_by("-created_at", "-id").values_list("value", "latency_ms")[
            : SQLITE_PERCENTILE_SAMPLE + 1
        ]
    )
    by_value = {}
    for value, latency in sample[:SQLITE_PERCENTILE_SAMPLE]:
        by_value.setdefault(value, []).append(latency)
    for row in found:
        row["p95"] = percentile(by_value.get(row["value"], []), 0.95)
    return len(sample) > SQLITE_PERCENTILE_SAMPLE
