"""Charts: buckets, error rate, percentiles and breakdowns, computed in the database."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from logstore.query import series as windows
from logstore.storage import get_store
from logstore.storage.port import LogCriteria
from tests.web.conftest import chat

pytestmark = pytest.mark.django_db
EVERYTHING = LogCriteria(workspace_ids=None)


def test_it_buckets_requests_errors_tokens_and_percentiles(web, api_key, post_logs):
    logs = []
    for index, latency in enumerate([100, 200, 300, 400]):
        body = chat(f"u{index}", minutes_ago=90)
        body["response"]["response_time"] = latency
        logs.append(body)
    failed = chat("bad", minutes_ago=90, metadata={"feature": "x"})
    failed["response"]["status"] = 503
    failed["response"]["response_time"] = 1000
    logs.append(failed)
    when = (datetime.now(UTC) - timedelta(minutes=90)).replace(second=30).isoformat()
    for body in logs:
        body["createdAt"] = when  # one instant, so one bucket whatever the clock says
    post_logs(logs, key=api_key)

    now = datetime.now(UTC)
    series = get_store().timeseries(EVERYTHING, now - timedelta(hours=3), now)
    assert series.step == timedelta(minutes=1)
    busy = [b for b in series.buckets if b.requests]
    assert len(busy) == 1
    bucket = busy[0]
    assert (bucket.requests, bucket.errors, bucket.tokens) == (5, 1, 60)
    # percentile_cont of 100,200,300,400,1000: the same on PostgreSQL and in Python.
    assert bucket.p50 == pytest.approx(300)
    assert bucket.p95 == pytest.approx(880)
    assert series.totals["error_pct"] == 20.0
    for days, step in ((7, timedelta(hours=1)), (30, timedelta(days=1))):
        wide = get_store().timeseries(EVERYTHING, now - timedelta(days=days), now)
        assert wide.step == step
        assert [(b.requests, b.errors) for b in wide.buckets if b.requests] == [(5, 1)]
        assert wide.buckets[-1].start <= now < wide.buckets[-1].start + step


def test_it_picks_bucket_sizes_and_bounds_the_window():
    now = datetime.now(UTC)
    assert windows.bucket_step(timedelta(hours=1)) == timedelta(minutes=1)
    assert windows.bucket_step(timedelta(days=7)) == timedelta(hours=1)
    assert windows.bucket_step(timedelta(days=30)) == timedelta(days=1)
    start, _, clamped = windows.clamp_window(now - timedelta(days=400), now)
    assert clamped and now - start == windows.MAX_WINDOW


def test_the_charts_page_renders_svg_and_breakdowns(web, api_key, post_logs):
    post_logs(
        [
            chat("alice", metadata={"feature": "search"}),
            chat("alice", metadata={"feature": "search"}),
            chat("bob", minutes_ago=5, metadata={"feature": "chat"}),
        ],
        key=api_key,
    )
    response = web.get("/charts/?since=1h")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<svg") >= 4 and "<rect" in body and "<polyline" in body
    assert "3 requests" in body
    by_user = web.get("/charts/?since=1h&by=user").content.decode()
    assert by_user.index(">alice<") < by_user.index(">bob<")
    by_key = web.get("/charts/?since=1h&by=metadata&by_key=feature").content.decode()
    row = r'<td><a href="([^"]*)"[^>]*>search</a></td><td class="num">2</td>'
    assert "metadata=feature%3Dsearch" in re.search(row, by_key).group(1)
    assert 'href="/charts/?since=7d&amp;by=metadata&amp;by_key=feature"' in by_key
    assert '<input type="hidden" name="by_key" value="feature">' in by_key
    assert "Pick a metadata key" in web.get("/charts/?by=metadata").content.decode()
    assert "Cannot break down by" in web.get("/charts/?by=password").content.decode()


def test_the_charts_page_follows_the_filter(web, api_key, post_logs):
    post_logs(
        [chat("alice", metadata={"feature": "a"}), chat("bob", metadata={"feature": "b"})],
        key=api_key,
    )
    body = web.get("/charts/?since=1h&metadata=feature%3Da&by=user").content.decode()
    assert "1 requests" in body
    assert ">bob<" not in body
    assert "That filter could not be applied" in web.get("/charts/?tokens_min=x").content.decode()


@pytest.mark.postgres
def test_postgres_computes_percentiles_in_the_database(
    api_key, post_logs, django_assert_num_queries
):
    post_logs([chat("a", minutes_ago=5)], key=api_key)
    now = datetime.now(UTC)
    with django_assert_num_queries(1):
        series = get_store().timeseries(EVERYTHING, now - timedelta(hours=1), now)
    assert [b.p50 for b in series.buckets if b.requests] == [321]
