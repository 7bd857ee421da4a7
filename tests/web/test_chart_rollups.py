"""Charts read hourly rollups for whole hours and raw rows for the edges, and say the same as
charts computed from raw rows alone: counts exactly, percentiles within one latency bucket."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from logstore.models import ChartRollup, Log
from logstore.query import rollups
from logstore.web import charts

pytestmark = pytest.mark.django_db

MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "gemini-1.5-pro"]


def make_logs(workspace, count, *, hours_back, seed=1, now=None):
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    rows = []
    for _ in range(count):
        failed = rng.random() < 0.1
        rows.append(
            Log(
                workspace=workspace,
                created_at=now - timedelta(seconds=rng.uniform(0, hours_back * 3600)),
                received_at=now,
                trace_id=f"t{rng.randrange(10**9)}",
                model=rng.choice(MODELS),
                provider=rng.choice(["openai", "anthropic", "google"]),
                user=f"user-{int(rng.paretovariate(1.2)) % 40}",
                environment=rng.choice(["prod", "staging", ""]),
                status=503 if failed else rng.choice([200, 200, 201, None]),
                is_success=not failed,
                latency_ms=None if rng.random() < 0.05 else int(rng.lognormvariate(6, 1.2)),
                total_tokens=rng.choice([None, rng.randrange(2000)]),
            )
        )
    Log.objects.bulk_create(rows)
    return rows


def assert_same_series(raw, rolled):
    assert [b.start for b in raw.buckets] == [b.start for b in rolled.buckets]
    for exact, estimate in zip(raw.buckets, rolled.buckets, strict=True):
        assert (exact.requests, exact.errors, exact.tokens) == (
            estimate.requests,
            estimate.errors,
            estimate.tokens,
        ), exact.start
        for name in ("p50", "p95"):
            a, b = getattr(exact, name), getattr(estimate, name)
            assert (a is None) == (b is None), (exact.start, name)
            if a is not None:
                assert abs(rollups.latency_bucket(a) - rollups.latency_bucket(b)) <= 1, (
                    exact.start,
                    name,
                    a,
                    b,
                )


def assert_same_breakdowns(queryset, start, end, workspace_ids):
    for dimension in rollups.DIMENSIONS:
        raw = charts.breakdown(queryset, start, end, dimension, limit=100)
        rolled = charts.breakdown(
            queryset, start, end, dimension, limit=100, rollup_workspaces=workspace_ids
        )
        assert {(r.value, r.requests, r.errors) for r in raw} == {
            (r.value, r.requests, r.errors) for r in rolled
        }, dimension


@pytest.fixture
def two_workspaces(workspace, other_workspace):
    make_logs(workspace, 1500, hours_back=24 * 9, seed=1)
    make_logs(other_workspace, 300, hours_back=24 * 9, seed=2)
    return workspace, other_workspace


def test_rollup_charts_equal_raw_row_charts(two_workspaces):
    workspace, _ = two_workspaces
    rollups.refresh()
    assert ChartRollup.objects.filter(workspace_id=workspace.pk, dimension="").exists()
    queryset = Log.objects.filter(workspace=workspace)
    now = datetime.now(UTC)
    for window in (timedelta(hours=24), timedelta(days=7), timedelta(days=30)):
        start, end = now - window, now
        raw = charts.timeseries(queryset, start, end)
        rolled = charts.timeseries(queryset, start, end, rollup_workspaces=[workspace.pk])
        assert sum(b.requests for b in rolled.buckets) > 0
        assert_same_series(raw, rolled)
        assert_same_breakdowns(queryset, start, end, [workspace.pk])


def test_a_window_of_several_workspaces_sums_their_rollups(two_workspaces):
    rollups.refresh()
    ids = [w.pk for w in two_workspaces]
    queryset = Log.objects.filter(workspace_id__in=ids)
    now = datetime.now(UTC)
    start = now - timedelta(days=3, minutes=17)
    raw = charts.timeseries(queryset, start, now)
    assert_same_series(raw, charts.timeseries(queryset, start, now, rollup_workspaces=ids))
    assert_same_breakdowns(queryset, start, now, ids)


def test_logs_stored_after_a_refresh_show_at_once_in_the_current_hour_and_later_hours_next_run(
    workspace,
):
    make_logs(workspace, 200, hours_back=30, seed=3)
    rollups.refresh()
    now = datetime.now(UTC)
    queryset = Log.objects.filter(workspace=workspace)
    start = now - timedelta(hours=24)
    fresh = make_logs(workspace, 5, hours_back=0.01, seed=4)  # the current hour: read raw
    late = make_logs(workspace, 7, hours_back=1, seed=5, now=now - timedelta(hours=6))
    rolled = charts.timeseries(queryset, start, now, rollup_workspaces=[workspace.pk])
    raw = charts.timeseries(queryset, start, now)
    assert rolled.buckets[-1].requests == raw.buckets[-1].requests >= len(fresh)
    # A late log for an hour already rolled up waits for the next refresh (every ~30 s).
    assert sum(b.requests for b in rolled.buckets) == sum(b.requests for b in raw.buckets) - len(
        late
    )
    rollups.refresh()
    assert_same_series(
        raw, charts.timeseries(queryset, start, now, rollup_workspaces=[workspace.pk])
    )


def test_the_rebuild_command_recomputes_a_range(workspace):
    make_logs(workspace, 400, hours_back=48, seed=6)
    rollups.refresh()
    now = datetime.now(UTC)
    ChartRollup.objects.filter(hour__gte=now - timedelta(hours=30)).update(requests=0, errors=0)
    queryset = Log.objects.filter(workspace=workspace)
    start = now - timedelta(hours=47)
    call_command(
        "maintain",
        "--rebuild",
        "--start",
        (now - timedelta(hours=31)).isoformat(),
        "--end",
        now.isoformat(),
        "--workspace",
        workspace.slug,
    )
    assert_same_series(
        charts.timeseries(queryset, start, now),
        charts.timeseries(queryset, start, now, rollup_workspaces=[workspace.pk]),
    )


def test_without_a_refresh_charts_read_raw_rows(workspace):
    make_logs(workspace, 50, hours_back=20, seed=7)
    now = datetime.now(UTC)
    queryset = Log.objects.filter(workspace=workspace)
    rolled = charts.timeseries(queryset, now - timedelta(hours=24), now, [workspace.pk])
    assert sum(b.requests for b in rolled.buckets) == 50


def test_histogram_percentiles_land_within_one_bucket_of_exact():
    rng = random.Random(9)
    for _ in range(50):
        values = [int(rng.lognormvariate(5, 1.5)) for _ in range(rng.randrange(1, 400))]
        counts = [0] * len(rollups.LATENCY_BOUNDS)
        for value in values:
            counts[rollups.latency_bucket(value)] += 1
        for fraction in (0.5, 0.95):
            exact = charts.percentile(values, fraction)
            estimate = rollups.histogram_percentile(counts, fraction)
            assert abs(rollups.latency_bucket(exact) - rollups.latency_bucket(estimate)) <= 1
