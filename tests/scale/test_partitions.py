"""The partitioned log table on PostgreSQL: partition upkeep, query plans, partition drops."""

import threading
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.http import QueryDict

from logstore.models import Log
from logstore.query.filters import LogFilter
from logstore.storage.partitions import (
    DEFAULT_PARTITION,
    analyze_stale_partitions,
    create_partition,
    drop_partition,
    ensure_partitions,
    existing_partitions,
    partition_name,
)
from tests.scale.conftest import days_ago

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def command(name, *args):
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def table_of(log_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM logstore_log WHERE id = %s", [log_id])
        return cursor.fetchone()[0]


def exists(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
        return cursor.fetchone()[0]


def test_migrate_leaves_partitions_from_yesterday_to_a_week_ahead():
    today = datetime.now(UTC).date()
    days = existing_partitions()
    for offset in range(-1, 8):
        assert today + timedelta(days=offset) in days


def test_it_creates_missing_partitions_once():
    assert "Created 3 partition(s)" in command("create_partitions", "--days-ahead", "10")
    assert "Created 0 partition(s)" in command("create_partitions", "--days-ahead", "10")
    assert exists(partition_name(datetime.now(UTC).date() + timedelta(days=10)))


def test_a_new_partition_keeps_lz4_and_every_index():
    name = partition_name(date(2099, 1, 1))
    create_partition(date(2099, 1, 1))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attcompression FROM pg_attribute WHERE attrelid = %s::regclass "
            "AND attname = 'request'",
            [name],
        )
        (compression,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s", [name])
        (indexes,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s", [DEFAULT_PARTITION])
        (default_indexes,) = cursor.fetchone()
    assert compression in ("l", "")  # "" where the server was built without lz4
    assert indexes == default_indexes >= 9


def test_it_moves_rows_of_a_new_day_out_of_the_default_partition(api, post_dated_logs):
    (log_id,) = post_dated_logs(api, [(days_ago(20), {"user": "stray"})])
    assert table_of(log_id) == DEFAULT_PARTITION
    output = command("create_partitions")
    assert "default partition holds rows of 1 day(s)" in output
    command("create_partitions", "--from-default")
    assert table_of(log_id) == partition_name(days_ago(20).date())
    assert api.get(f"/v1/logs/{log_id}").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_create_each_partition_once():
    start = date(2098, 1, 1)
    results, errors = [], []

    def run():
        try:
            results.append(ensure_partitions(days_ahead=6, days_behind=0, today=start))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        created = sorted(name for names in results for name in names)
        assert created == sorted(partition_name(start + timedelta(days=n)) for n in range(7))
    finally:
        for n in range(7):
            if exists(partition_name(start + timedelta(days=n))):
                drop_partition(partition_name(start + timedelta(days=n)))


@pytest.fixture
def spread_logs(api, post_dated_logs):
    """300 logs, even ones today and odd ones yesterday: 40 users, 7 models, 60 traces."""
    specs = [
        (
            days_ago(i % 2, hour=1 + i % 20),
            {
                "user": f"u{i % 40}",
                "model": f"m{i % 7}",
                "trace_id": f"tr{i % 60}",
                "span_id": f"sp{i}",
                "feature": f"f{i % 30}",
                "team": f"t{i % 5}",
            },
        )
        for i in range(300)
    ]
    post_dated_logs(api, specs)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE logstore_log")


# Each LogFilter parameter and the index (by its columns) that must serve it.
FILTER_INDEXES = [
    ({"trace_id": "tr8"}, "workspace_id_trace_id_created_at_idx"),
    ({"span_id": "sp10"}, "workspace_id_span_id_idx"),
    ({"user": "u4"}, "workspace_id_user_created_at_idx"),
    ({"model": "m2"}, "workspace_id_model_created_at_idx"),
    ({}, "workspace_id_created_at_id_idx"),
    ({"metadata": "feature=f4"}, "metadata_index_idx"),
    ({"metadata": ["feature=f4", "team=t4"]}, "metadata_index_idx"),
]


@pytest.mark.parametrize(("params", "index"), FILTER_INDEXES, ids=lambda v: str(v))
def test_each_filter_uses_its_index_on_the_one_partition_of_its_time_window(
    spread_logs, workspace, params, index
):
    today = days_ago(0, hour=0)
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    query["start"] = today.isoformat()
    query["end"] = (today + timedelta(days=1)).isoformat()
    filterset = LogFilter(query, queryset=Log.objects.filter(workspace=workspace))
    assert filterset.is_valid(), filterset.errors
    # As the surfaces page it: newest first, a page at a time.
    queryset = filterset.qs.order_by("-created_at", "-id")[:50]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    partition = partition_name(today.date())
    assert f"{partition}_{index}" in plan, plan
    scanned = {name for name in existing_partitions().values() if f" on {name} " in plan}
    assert scanned == {partition}, plan
    assert f" on {DEFAULT_PARTITION} " not in plan, plan
    assert "Seq Scan" not in plan, plan
    assert queryset.count() > 0


@pytest.fixture
def old_day_partition(workspace, api, post_dated_logs):
    """acme keeps 7 days; a partition 20 days ago holds two of its logs, today holds one."""
    workspace.retention_days = 7
    workspace.save()
    day = days_ago(20).date()
    create_partition(day)
    post_dated_logs(
        api, [(days_ago(20), {"user": "old"}), (days_ago(20, hour=13), {"user": "old"})]
    )
    post_dated_logs(api, [(days_ago(0, hour=0), {"user": "new"})])
    return partition_name(day)


def test_pruning_drops_a_partition_whose_rows_are_all_expired(old_day_partition, workspace):
    output = command("prune_logs")
    assert f"dropping partition {old_day_partition}" in output
    assert not exists(old_day_partition)
    assert list(Log.objects.values_list("user", flat=True)) == ["new"]


def test_a_dry_run_drops_nothing(old_day_partition):
    output = command("prune_logs", "--dry-run")
    assert f"would drop partition {old_day_partition}" in output
    # Rows the drop would remove are not counted again as batch deletions.
    assert "would delete" not in output
    assert exists(old_day_partition)
    assert Log.objects.filter(user="old").count() == 2


def test_a_partition_with_rows_still_kept_elsewhere_is_emptied_not_dropped(
    old_day_partition, other_workspace, other_api_key, make_api, post_dated_logs
):
    # globex keeps forever, so its row keeps the partition; acme's rows go in batches.
    post_dated_logs(make_api(other_api_key), [(days_ago(20), {"user": "kept"})])
    output = command("prune_logs", "--batch-size", "1")
    assert "dropping" not in output
    assert exists(old_day_partition)
    assert sorted(Log.objects.values_list("user", flat=True)) == ["kept", "new"]


def analyzed_at(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
            "WHERE relname = %s",
            [table],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_create_partitions_analyzes_the_partitions_that_received_rows(api, post_dated_logs):
    day = days_ago(400, hour=0).date()
    create_partition(day)
    try:
        post_dated_logs(api, [(days_ago(400, hour=1), {"feature": f"f{i}"}) for i in range(30)])
        assert analyzed_at(partition_name(day)) is None

        out = command("create_partitions")
        assert partition_name(day) in out
        assert analyzed_at(partition_name(day)) is not None
        # Nothing changed since: nothing to analyze, one catalog query.
        assert analyze_stale_partitions() == []
    finally:
        drop_partition(partition_name(day))
