"""Charts of whole workspaces read the hourly rollups for whole hours and raw rows for the edges,
and say the same as charts computed from raw rows alone: counts, tokens and cost exactly,
percentiles within one latency bucket."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import F

from logstore.models import ChartRollup, Log
from logstore.query import rollups
from logstore.query.series import GROUP_SORTS
from logstore.storage import orm
from logstore.storage.orm import OrmLogStore
from logstore.storage.port import LogCriteria
from tests.rollup_logs import make_logs

pytestmark = pytest.mark.django_db

STORE = OrmLogStore()


def raw_series(criteria, start, end):
    return orm.timeseries(STORE.logs(criteria), start, end)


def assert_same_series(raw, rolled):
    assert [b.start for b in raw.buckets] == [b.start for b in rolled.buckets]
    for exact, estimate in zip(raw.buckets, rolled.buckets, strict=True):
        assert (exact.requests, exact.errors, exact.tokens, exact.cost, exact.unpriced) == (
            estimate.requests,
            estimate.errors,
            estimate.tokens,
            estimate.cost,
            estimate.unpriced,
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
    assert raw.totals == rolled.totals


def breakdown_facts(rows):
    return [(r.value, r.requests, r.errors, r.tokens, r.cost) for r in rows]


def assert_same_breakdowns(criteria, start, end):
    logs = STORE.logs(criteria)
    for dimension in rollups.DIMENSIONS:
        raw = orm.breakdown(logs, start, end, dimension, limit=100)
        rolled = STORE.breakdown(criteria, start, end, dimension, limit=100)
        assert set(breakdown_facts(raw)) == set(breakdown_facts(rolled)), dimension
        # Ranked by cost, the top values (and their shares) come in the same order.
        raw = orm.breakdown(logs, start, end, dimension, limit=5, order="cost")
        rolled = STORE.breakdown(criteria, start, end, dimension, limit=5, order="cost")
        assert breakdown_facts(raw) == breakdown_facts(rolled), dimension
        assert [r.share for r in raw] == [r.share for r in rolled], dimension


@pytest.fixture
def two_workspaces(workspace, other_workspace):
    make_logs(workspace, 1500, hours_back=24 * 9, seed=1)
    make_logs(other_workspace, 300, hours_back=24 * 9, seed=2)
    return workspace, other_workspace


def test_rollup_charts_equal_raw_row_charts(two_workspaces):
    workspace, _ = two_workspaces
    rollups.refresh()
    assert ChartRollup.objects.filter(workspace_id=workspace.pk, dimension="").exists()
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    now = datetime.now(UTC)
    for window in (timedelta(hours=24), timedelta(days=7), timedelta(days=30)):
        start, end = now - window, now
        rolled = STORE.timeseries(criteria, start, end)
        assert rolled.totals["requests"] > 0 and rolled.totals["cost"] > 0
        assert rolled.totals["unpriced"] > 0
        assert_same_series(raw_series(criteria, start, end), rolled)
        assert_same_breakdowns(criteria, start, end)


def test_a_window_of_several_workspaces_sums_their_rollups(two_workspaces):
    rollups.refresh()
    criteria = LogCriteria(workspace_ids=tuple(w.pk for w in two_workspaces))
    now = datetime.now(UTC)
    start = now - timedelta(days=3, minutes=17)
    assert_same_series(raw_series(criteria, start, now), STORE.timeseries(criteria, start, now))
    assert_same_breakdowns(criteria, start, now)


def test_a_hand_edited_rollup_shows_in_the_chart_but_not_in_a_filtered_one(workspace):
    # Proves the whole hours are read from the rollups, and that a filter bypasses them.
    make_logs(workspace, 200, hours_back=20, seed=3)
    rollups.refresh()
    now = datetime.now(UTC)
    start = now - timedelta(hours=24)
    whole = LogCriteria(workspace_ids=(workspace.pk,))
    before = STORE.timeseries(whole, start, now).totals
    hour = rollups.floor_hour(now - timedelta(hours=5))
    overall = ChartRollup.objects.get(workspace_id=workspace.pk, dimension="", hour=hour)
    overall.requests += 1000
    overall.cost_usd = (overall.cost_usd or 0) + Decimal(7)
    overall.save()
    by_model = ChartRollup.objects.filter(
        workspace_id=workspace.pk, dimension="model", hour=hour, value="gpt-4o"
    )
    assert by_model.update(requests=5000) == 1

    after = STORE.timeseries(whole, start, now).totals
    assert after["requests"] == before["requests"] + 1000
    assert after["cost"] == before["cost"] + 7
    top = STORE.breakdown(whole, start, now, "model")[0]
    assert (top.value, top.requests > 5000) == ("gpt-4o", True)

    filtered = whole.narrowed(equals=(("environment", "prod"),))
    raw = raw_series(filtered, start, now)
    assert_same_series(raw, STORE.timeseries(filtered, start, now))
    prod = Log.objects.filter(environment="prod", created_at__gte=start, created_at__lt=now)
    assert raw.totals["requests"] == prod.count()
    assert STORE.breakdown(filtered, start, now, "model")[0].requests < 5000
    # Minute buckets and metadata breakdowns read raw rows too.
    short = now - timedelta(hours=3)
    assert_same_series(raw_series(whole, short, now), STORE.timeseries(whole, short, now))


def test_the_edges_and_the_current_hour_come_from_raw_rows_and_late_logs_after_a_refresh(
    workspace,
):
    make_logs(workspace, 200, hours_back=30, seed=4)
    rollups.refresh()
    now = datetime.now(UTC)
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    start = now - timedelta(hours=24)
    fresh = make_logs(workspace, 5, hours_back=0.01, seed=5)  # the current hour: read raw
    late = make_logs(workspace, 7, hours_back=1, seed=6, now=now - timedelta(hours=6))
    rolled = STORE.timeseries(criteria, start, now)
    raw = raw_series(criteria, start, now)
    assert rolled.buckets[-1].requests == raw.buckets[-1].requests >= len(fresh)
    assert rolled.buckets[0].requests == raw.buckets[0].requests  # the partial first hour
    # A late log for an hour already rolled up waits for the next refresh (every ~30 s).
    assert rolled.totals["requests"] == raw.totals["requests"] - len(late)
    rollups.refresh()
    assert_same_series(raw, STORE.timeseries(criteria, start, now))


def the_hour(workspace, hour):
    return ChartRollup.objects.filter(workspace_id=workspace.pk, dimension="", hour=hour)


def test_the_current_hour_is_rolled_up_to_the_mark_and_read_raw_after_it(workspace):
    # A refresh in the past, 40 minutes into an hour: its mark is SETTLE before it.
    ran = rollups.floor_hour(datetime.now(UTC)) - timedelta(hours=3) + timedelta(minutes=40)
    mark = ran - rollups.SETTLE
    make_logs(workspace, 60, hours_back=0.5, seed=10, now=mark)
    rollups.refresh(now=ran)
    assert rollups.complete_before() == mark
    after_mark = make_logs(workspace, 4, hours_back=0.01, seed=11, now=ran)
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    start = ran - timedelta(hours=24)
    rolled = STORE.timeseries(criteria, start, ran)
    raw = raw_series(criteria, start, ran)
    assert_same_series(raw, rolled)
    assert rolled.buckets[-1].requests >= 60 + len(after_mark)
    # A log that took longer than SETTLE to arrive is late: counted once a refresh, or a
    # rebuild of its hour (`maintain --rebuild`), has run, and once only.
    late = make_logs(workspace, 3, hours_back=0.01, seed=12, now=mark - timedelta(minutes=1))
    raw = raw_series(criteria, start, ran)
    assert STORE.timeseries(criteria, start, ran).totals["requests"] == (
        raw.totals["requests"] - len(late)
    )
    rollups.rebuild(rollups.floor_hour(ran), ran)
    assert_same_series(raw, STORE.timeseries(criteria, start, ran))
    rollups.refresh(now=ran)
    assert_same_series(raw, STORE.timeseries(criteria, start, ran))
    # The mark's hour is read from its rollup (an edit shows), what came after the mark raw.
    assert the_hour(workspace, rollups.floor_hour(ran)).update(requests=F("requests") + 1000)
    assert STORE.timeseries(criteria, start, ran).buckets[-1].requests == (
        raw.buckets[-1].requests + 1000
    )


def test_a_log_dated_ahead_of_the_mark_joins_its_hours_rollup_as_the_mark_passes_it(workspace):
    # A client clock half an hour fast: the log is stored now, dated in the next hours.
    now = datetime.now(UTC)
    ahead = make_logs(workspace, 1, hours_back=0, seed=13, now=now + timedelta(hours=3))[0]
    hour = rollups.floor_hour(ahead.created_at)
    rollups.refresh(now=now + timedelta(hours=1))
    # By now the log's id is older than what a refresh looks back at for newly stored logs.
    rollups.refresh(now=now + timedelta(hours=2))
    assert not the_hour(workspace, hour).exists()
    rollups.refresh(now=ahead.created_at + rollups.SETTLE + timedelta(minutes=1))
    assert the_hour(workspace, hour).get().requests == 1


@pytest.mark.parametrize("minute", [10, 50])
def test_a_windows_first_partial_hour_reads_the_fewer_raw_rows(two_workspaces, minute):
    # From :10 most of the first hour is in the window: its rollup less the ten minutes before
    # the window. From :50, the ten minutes in it are read raw.
    workspace, _ = two_workspaces
    now = datetime.now(UTC)
    opening = rollups.floor_hour(now - timedelta(hours=20))
    make_logs(workspace, 60, hours_back=1, seed=14, now=opening + rollups.HOUR)
    rollups.refresh()
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    for window in (timedelta(hours=24), timedelta(days=8)):
        start = rollups.floor_hour(now - window) + timedelta(hours=1, minutes=minute)
        raw = raw_series(criteria, start, now)
        assert_same_series(raw, STORE.timeseries(criteria, start, now))
    start = opening + timedelta(minutes=minute)
    raw = raw_series(criteria, start, now).buckets[0]
    assert 0 < raw.requests < the_hour(workspace, opening).get().requests
    assert the_hour(workspace, rollups.floor_hour(start)).update(requests=F("requests") + 1000)
    first = STORE.timeseries(criteria, start, now).buckets[0]
    assert first.requests == raw.requests + (1000 if minute < 30 else 0)


def test_without_a_refresh_charts_read_raw_rows(workspace):
    make_logs(workspace, 50, hours_back=20, seed=7)
    now = datetime.now(UTC)
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    assert STORE.timeseries(criteria, now - timedelta(hours=24), now).totals["requests"] == 50
    assert (
        sum(r.requests for r in STORE.breakdown(criteria, now - timedelta(days=1), now, "user"))
        == 50
    )


def test_the_charts_page_reads_rollups_unless_a_filter_narrows_the_logs(web, workspace):
    make_logs(workspace, 300, hours_back=24 * 6, seed=8)
    rollups.refresh()
    hour = rollups.floor_hour(datetime.now(UTC) - timedelta(days=2))
    ChartRollup.objects.filter(workspace_id=workspace.pk, dimension="", hour=hour).update(
        requests=10_000
    )
    page = web.get("/charts/?since=7d&by=model&order=cost")
    assert page.status_code == 200
    assert page.context["totals"]["requests"] > 10_000
    filtered = web.get("/charts/?since=7d&by=model&model=gpt-4o")
    assert filtered.status_code == 200
    week = datetime.now(UTC) - timedelta(days=7)
    assert (
        filtered.context["totals"]["requests"]
        == Log.objects.filter(model="gpt-4o", created_at__gte=week).count()
    )


def group_facts(totals):
    return [
        (r.value, r.requests, r.errors, r.tokens, r.cost, r.unpriced, r.last_seen)
        for r in totals.rows
    ]


def assert_same_groups(criteria, start, end):
    logs = STORE.logs(criteria)
    for sort in GROUP_SORTS:
        for descending in (True, False):
            raw = orm.groups(logs, start, end, sort=sort, descending=descending, limit=500)
            rolled = STORE.groups(criteria, start, end, sort=sort, descending=descending, limit=500)
            assert set(group_facts(raw)) == set(group_facts(rolled)), sort
            exact = {r.value: r.p95 for r in raw.rows}
            for row in rolled.rows:
                a, b = exact[row.value], row.p95
                assert (a is None) == (b is None), row.value
                if a is not None:
                    assert abs(rollups.latency_bucket(a) - rollups.latency_bucket(b)) <= 1
            assert not rolled.sampled and not rolled.limited
    # The top five by cost, in the same order, and "more" said the same way.
    raw = orm.groups(logs, start, end, sort="cost", limit=5)
    rolled = STORE.groups(criteria, start, end, sort="cost", limit=5)
    assert group_facts(raw) == group_facts(rolled)
    assert raw.limited and rolled.limited


def test_the_users_page_totals_equal_raw_rows_and_read_the_user_rollups(two_workspaces):
    workspace, _ = two_workspaces
    rollups.refresh()
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    now = datetime.now(UTC)
    for window in (timedelta(hours=24), timedelta(days=7, minutes=13)):
        assert_same_groups(criteria, now - window, now)

    start = now - timedelta(hours=24)
    hour = rollups.floor_hour(now - timedelta(hours=5))
    edited = ChartRollup.objects.filter(workspace_id=workspace.pk, dimension="user", hour=hour)
    name = edited.first().value
    edited.filter(value=name).update(requests=100_000)
    top = STORE.groups(criteria, start, now, sort="requests").rows[0]
    assert (top.value, top.requests > 100_000) == (name, True)
    # A metadata key, or a filter, reads raw rows.
    narrowed = criteria.narrowed(equals=(("model", "gpt-4o"),))
    assert STORE.groups(narrowed, start, now, sort="requests").rows[0].requests < 100_000
    by_customer = STORE.groups(criteria, start, now, key="customer").rows
    assert [(r.value, r.requests < 100_000) for r in by_customer] == [(None, True)]
