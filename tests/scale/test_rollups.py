"""Hourly chart rollups hold exactly what the raw rows of their hours hold, and go with them."""

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logstore.models import ChartRollup, Log
from logstore.query import rollups
from tests.rollup_logs import make_logs

pytestmark = pytest.mark.django_db


def hour_of(moment):
    return moment.replace(minute=0, second=0, microsecond=0)


def exact_percentile(values, fraction):
    """percentile_cont: linear interpolation between the two closest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def test_a_rebuild_sums_every_hour_as_its_raw_rows_do(workspace, other_workspace):
    logs = make_logs(workspace, 600, hours_back=72, seed=1)
    make_logs(other_workspace, 100, hours_back=72, seed=2)
    now = datetime.now(UTC)
    rollups.rebuild(now - timedelta(days=4), now + timedelta(hours=1))

    expected = defaultdict(lambda: [0, 0, 0])
    by_model = Counter()
    for log in logs:
        totals = expected[hour_of(log.created_at)]
        totals[0] += 1
        totals[1] += not log.is_success
        totals[2] += log.total_tokens or 0
        by_model[(hour_of(log.created_at), log.model)] += 1
    rows = ChartRollup.objects.filter(workspace_id=workspace.pk)
    overall = {r.hour: [r.requests, r.errors, r.tokens] for r in rows.filter(dimension="")}
    assert overall == dict(expected)
    models = {(r.hour, r.value): r.requests for r in rows.filter(dimension="model")}
    assert models == dict(by_model)


def test_histogram_percentiles_are_within_one_bucket_of_the_exact_ones(workspace):
    logs = make_logs(workspace, 3000, hours_back=0.5, seed=3)
    now = datetime.now(UTC)
    rollups.rebuild(now - timedelta(hours=2), now + timedelta(hours=1))
    histogram = [0] * len(rollups.LATENCY_BOUNDS)
    for row in ChartRollup.objects.filter(workspace_id=workspace.pk, dimension=""):
        rollups.merge_histograms(histogram, row.latency_histogram)
    latencies = [log.latency_ms for log in logs if log.latency_ms is not None]
    assert sum(histogram) == len(latencies)
    for fraction in (0.5, 0.95):
        exact = exact_percentile(latencies, fraction)
        estimate = rollups.histogram_percentile(histogram, fraction)
        assert abs(rollups.latency_bucket(exact) - rollups.latency_bucket(estimate)) <= 1


def test_the_maintain_command_rebuilds_a_range(workspace):
    make_logs(workspace, 50, hours_back=5, seed=4)
    now = datetime.now(UTC)
    call_command(
        "maintain",
        "--rebuild",
        "--start",
        (now - timedelta(hours=6)).isoformat(),
        "--end",
        (now + timedelta(hours=1)).isoformat(),
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )
    rolled = ChartRollup.objects.filter(workspace_id=workspace.pk, dimension="")
    assert sum(r.requests for r in rolled) == 50


def test_retention_drops_the_rollups_of_the_hours_it_pruned(workspace):
    workspace.retention_days = 7
    workspace.save()
    old = make_logs(workspace, 30, hours_back=24 * 20, seed=5)
    now = datetime.now(UTC)
    rollups.rebuild(now - timedelta(days=21), now + timedelta(hours=1))
    call_command("prune_logs", stdout=open("/dev/null", "w"))  # noqa: SIM115
    kept = [log for log in old if log.created_at >= now - timedelta(days=7)]
    rolled = ChartRollup.objects.filter(workspace_id=workspace.pk, dimension="")
    assert sum(r.requests for r in rolled) == len(kept) == Log.objects.count()
    assert not rolled.filter(hour__lt=hour_of(now - timedelta(days=7))).exists()


COVERED = {
    "workspace_id",
    "created_at",
    "user",
    "is_success",
    "total_tokens",
    "cost_usd",
    "latency_ms",
}


def test_a_charts_raw_edges_read_only_columns_of_the_covering_index(workspace):
    """The whole-workspace sums and latency buckets of the raw hours at a chart's edges (and of
    every rebuilt hour) name only columns log_ws_created_cover_idx holds, so PostgreSQL can
    answer them from the index alone instead of visiting the wide rows."""
    make_logs(workspace, 50, hours_back=2, seed=3)
    now = datetime.now(UTC)
    edge = Log.objects.filter(workspace_id=workspace.pk, created_at__gte=now - timedelta(hours=2))
    with CaptureQueriesContext(connection) as captured:
        rollups.hourly_aggregates(edge, dimensions=("user",))
    assert len(captured.captured_queries) == 4
    for query in captured.captured_queries:
        named = set(re.findall(r'"logstore_log"\."(\w+)"', query["sql"]))
        assert named and named <= COVERED, named - COVERED
