"""Charts and per-user totals of whole workspaces from the hourly rollups
(logstore.query.rollups): a window's whole hours, and the current hour up to
`ChartRollupMark.complete_before`, come from ChartRollup; raw rows only for the partial hour at
the window's start and for what came after the mark.

Only criteria that narrow nothing but the workspaces and the time qualify, with hourly or
daily buckets; anything else, and metadata breakdowns or groups, is answered from raw rows by
the caller. Percentiles come from the latency histograms, within one bucket of the exact ones.
"""

from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum

from logstore.models import ChartRollup
from logstore.query import rollups
from logstore.query.series import (
    GROUP_SORTS,
    BreakdownRow,
    GroupTotals,
    Series,
    breakdown_rows,
    bucket_step,
    clamp_window,
    fill_series,
    floor_to_step,
    group_totals,
)
from logstore.storage.port import LogCriteria


def rolled_up_span(criteria: LogCriteria, start: datetime, end: datetime, step):
    """The part [first, last) of the window that the rollups answer, or None."""
    if step < rollups.HOUR or not criteria.whole_workspaces:
        return None
    if criteria.start is not None:
        start = max(start, criteria.start)
    if criteria.end is not None:
        end = min(end, criteria.end)
    return rollups.rolled_up_span(start, end, rollups.complete_before())


def _edges(start, end, hours):
    """The parts of [start, end) that the rollups do not answer."""
    first, last = hours
    return [(lo, hi) for lo, hi in ((start, first), (last, end)) if lo < hi]


def _stored(criteria, dimension, hours):
    stored = ChartRollup.objects.filter(
        dimension=dimension, hour__gte=hours[0], hour__lt=hours[1]
    ).order_by()
    if criteria.workspace_ids is not None:
        stored = stored.filter(workspace_id__in=criteria.workspace_ids)
    return stored


def _add_cost(total, cost):
    # None stays "no priced call" until a priced one is added.
    if cost is None:
        return total
    return cost if total is None else total + cost


def _less(rows, taken):
    """The sums of `rows` less those of `taken` (tuples of the chart's rollup columns, after the
    hour): what one hour holds inside a window. Never below zero, should a late log be in the
    raw rows before the next refresh has rolled it up."""
    sums = [0, 0, 0, Decimal(0), 0, []]
    for sign, group in ((1, rows), (-1, taken)):
        for _hour, requests, errors, tokens, cost, unpriced, histogram in group:
            sums[0] += sign * requests
            sums[1] += sign * errors
            sums[2] += sign * (tokens or 0)
            sums[3] += sign * (cost or 0)
            sums[4] += sign * unpriced
            rollups.merge_histograms(sums[5], [sign * count for count in histogram])
    requests, errors, tokens, cost, unpriced, histogram = sums
    return (
        max(requests, 0),
        max(errors, 0),
        max(tokens, 0),
        max(cost, Decimal(0)),
        max(unpriced, 0),
        [max(count, 0) for count in histogram],
    )


def timeseries(logs, criteria: LogCriteria, start: datetime, end: datetime) -> Series | None:
    """The chart of `logs` (the queryset of `criteria`) from rollups, or None when they
    cannot answer it."""
    start, end, clamped = clamp_window(start, end)
    step = bucket_step(end - start)
    hours = rolled_up_span(criteria, start, end, step)
    if hours is None:
        return None
    sums = {}

    def add(hour, requests, errors, tokens, cost, unpriced, histogram):
        bucket = sums.setdefault(
            floor_to_step(hour, step),
            {"requests": 0, "errors": 0, "tokens": 0, "cost": None, "unpriced": 0, "h": []},
        )
        bucket["requests"] += requests
        bucket["errors"] += errors
        bucket["tokens"] += tokens
        bucket["cost"] = _add_cost(bucket["cost"], cost)
        bucket["unpriced"] += unpriced
        rollups.merge_histograms(bucket["h"], histogram)

    columns = ("hour", "requests", "errors", "tokens", "cost_usd", "unpriced", "latency_histogram")
    first, last = hours
    edges = _edges(start, end, hours)
    # The window's first, partial hour: when less of it lies before the window than in it, its
    # rollup less the rows before the window reads at most half an hour of raw rows, not up
    # to a whole one. (A chart's bucket shows no cost as 0, so the difference needs no count of
    # priced calls.)
    opening = first - rollups.HOUR
    if start - opening >= first - start or (criteria.start and criteria.start > start):
        opening = None
    opened = []
    for row in _stored(criteria, "", (opening or first, last)).values_list(*columns):
        if row[0] < first:
            opened.append(row)
        else:
            add(*row)
    if opening is not None:
        before = logs.filter(created_at__gte=opening, created_at__lt=start)
        outside = [
            tuple(getattr(row, name) for name in columns)
            for row in rollups.hourly_aggregates(before, dimensions=())
        ]
        add(opening, *_less(opened, outside))
        edges = edges[1:]
    for lo, hi in edges:
        edge = logs.filter(created_at__gte=lo, created_at__lt=hi)
        for row in rollups.hourly_aggregates(edge, dimensions=()):
            add(*(getattr(row, name) for name in columns))
    for bucket in sums.values():
        histogram = bucket.pop("h")
        bucket["p50"] = rollups.histogram_percentile(histogram, 0.5)
        bucket["p95"] = rollups.histogram_percentile(histogram, 0.95)
    return fill_series(sums, start, end, step, clamped, sampled=False)


def breakdown(
    logs, criteria: LogCriteria, start, end, dimension, limit, order
) -> list[BreakdownRow] | None:
    """Top `limit` values of a rolled-up dimension from rollups, or None when they cannot
    answer it; ranked as the raw-row breakdown ranks them."""
    if dimension not in rollups.DIMENSIONS:
        return None
    start, end, _ = clamp_window(start, end)
    hours = rolled_up_span(criteria, start, end, rollups.HOUR)
    if hours is None:
        return None
    totals = {}

    def add(value, requests, errors, tokens, cost):
        row = totals.setdefault(
            value, {"value": value, "requests": 0, "errors": 0, "tokens": 0, "cost": None}
        )
        row["requests"] += requests
        row["errors"] += errors
        row["tokens"] += tokens or 0
        row["cost"] = _add_cost(row["cost"], cost)

    sums = {"errors": Sum("errors"), "tokens": Sum("tokens"), "cost": Sum("cost_usd")}
    stored = _stored(criteria, dimension, hours).values("value")
    for row in stored.annotate(requests=Sum("requests"), **sums):
        value = row["value"]
        if dimension == "status":
            value = int(value) if value else None
        add(value, row["requests"], row["errors"], row["tokens"], row["cost"])
    for lo, hi in _edges(start, end, hours):
        edge = logs.filter(created_at__gte=lo, created_at__lt=hi).order_by()
        grouped = edge.values(dimension).annotate(
            requests=Count("pk"),
            errors=Count("pk", filter=Q(is_success=False)),
            tokens=Sum("total_tokens"),
            cost=Sum("cost_usd"),
        )
        for row in grouped:
            add(row[dimension], row["requests"], row["errors"], row["tokens"], row["cost"])

    def rank(row):
        value = row["value"]
        by_value = (value is None, "" if value is None else value)
        if order == "cost":
            return (row["cost"] is None, -(row["cost"] or Decimal(0)), *by_value)
        return (-row["requests"], *by_value)

    return breakdown_rows(sorted(totals.values(), key=rank)[:limit], order)


def groups(
    logs, criteria: LogCriteria, start, end, *, key, sort, descending, limit
) -> GroupTotals | None:
    """Per-user totals from the rollups' user rows, or None when they cannot answer (a
    metadata key, a narrowing filter, no whole hour); sorted as the raw-row groups are."""
    if key:
        return None
    start, end, clamped = clamp_window(start, end)
    hours = rolled_up_span(criteria, start, end, rollups.HOUR)
    if hours is None:
        return None
    sort = sort if sort in GROUP_SORTS else "cost"
    totals, histograms = {}, {}

    def add(value, requests, errors, tokens, cost, unpriced, last_seen):
        row = totals.setdefault(
            value,
            {
                "value": value,
                "requests": 0,
                "errors": 0,
                "tokens": 0,
                "cost": None,
                "unpriced": 0,
                "last_seen": last_seen,
            },
        )
        row["requests"] += requests
        row["errors"] += errors
        row["tokens"] += tokens or 0
        row["cost"] = _add_cost(row["cost"], cost)
        row["unpriced"] += unpriced
        row["last_seen"] = max(row["last_seen"], last_seen)

    stored = _stored(criteria, "user", hours)
    sums = stored.values("value").annotate(
        requests=Sum("requests"),
        errors=Sum("errors"),
        tokens=Sum("tokens"),
        cost=Sum("cost_usd"),
        unpriced=Sum("unpriced"),
        last_seen=Max("last_seen"),
    )
    for row in sums:
        add(*(row[name] for name in _GROUP_COLUMNS))
    for lo, hi in _edges(start, end, hours):
        edge = logs.filter(created_at__gte=lo, created_at__lt=hi)
        for row in rollups.hourly_aggregates(edge, dimensions=("user",)):
            if row.dimension == "user":
                add(row.value, *(getattr(row, name) for name in _ROLLUP_COLUMNS))
                merged = histograms.setdefault(row.value, [])
                rollups.merge_histograms(merged, row.latency_histogram)

    def with_p95(rows, every=False):
        # Only the groups shown need their histograms, unless p95 is what ranks them.
        shown = stored if every else stored.filter(value__in=[row["value"] for row in rows])
        for value, histogram in shown.values_list("value", "latency_histogram"):
            rollups.merge_histograms(histograms.setdefault(value, []), histogram)
        for row in rows:
            row["p95"] = rollups.histogram_percentile(histograms.get(row["value"], []), 0.95)
        return rows

    found = sorted(totals.values(), key=lambda row: row["value"])
    if sort == "p95":
        found = _by(with_p95(found, every=True), "p95", descending)[: limit + 1]
    else:
        found = with_p95(_by(found, sort, descending)[: limit + 1])
    return group_totals(
        found,
        limit,
        sort=sort,
        descending=descending,
        window=(start, end, clamped),
        sampled=False,
    )


_GROUP_COLUMNS = ("value", "requests", "errors", "tokens", "cost", "unpriced", "last_seen")
_ROLLUP_COLUMNS = ("requests", "errors", "tokens", "cost_usd", "unpriced", "last_seen")


def _by(rows, sort, descending):
    """`rows` (sorted by value already) by `sort`, missing values last either way."""
    known = [row for row in rows if row[sort] is not None]
    known.sort(key=lambda row: row[sort], reverse=descending)  # stable: ties stay by value
    return known + [row for row in rows if row[sort] is None]
