"""ClickHouse specifics: parameters instead of interpolation, migrations, cluster DDL."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from logstore.storage.clickhouse.compiler import Parameters, where
from logstore.storage.clickhouse.schema import Layout, full_sql
from logstore.storage.port import LogCriteria

HOSTILE = "x' OR 1=1 --"


def test_no_client_value_ever_reaches_the_sql_text():
    criteria = LogCriteria(
        workspace_ids=(1, 2),
        start=datetime(2026, 1, 1, tzinfo=UTC),
        trace_ids=(HOSTILE,),
        span_ids=(HOSTILE,),
        equals=(("user", HOSTILE), ("model", HOSTILE)),
        provider_models=((HOSTILE, HOSTILE),),
        metadata=((HOSTILE, HOSTILE),),
        any_of=(("trace_id", HOSTILE),),
        ranges=(("latency_ms", 1.0, 2.0),),
        statuses=(200,),
        status_ranges=((400, 500),),
        success=False,
        streaming=True,
    )
    params = Parameters()
    sql = where(criteria, params)
    assert HOSTILE not in sql and "2026" not in sql and "200" not in sql
    flat = [v for value in params.values() for v in (value if isinstance(value, list) else [value])]
    assert flat.count(HOSTILE) == 9
    assert all(f"{{{name}:" in sql for name in params)


def test_a_criteria_that_matches_nothing_sends_no_parameters():
    params = Parameters()
    assert where(LogCriteria(workspace_ids=()), params) == "0" and not params


@pytest.mark.django_db
def test_migrations_are_recorded_and_run_once(clickhouse):
    assert clickhouse.migrate() == []
    out = StringIO()
    call_command("migrate_clickhouse", stdout=out)
    assert "Applied 0 ClickHouse migration(s)." in out.getvalue()
    _, rows = clickhouse.connection.query(
        f"SELECT name FROM `{clickhouse.layout.database}`.`schema_migrations`"
    )
    assert ("0001_logs.sql",) in rows


def test_one_server_gets_a_merge_tree_that_dedupes_and_fsyncs():
    sql = full_sql(Layout("logstore"))
    assert "ENGINE = MergeTree" in sql and "Distributed" not in sql and "ON CLUSTER" not in sql
    assert "non_replicated_deduplication_window = 1000" in sql
    assert "fsync_after_insert = 1" in sql
    assert "ORDER BY (workspace_id, created_at, id)" in sql


def test_a_cluster_gets_replicated_shards_behind_a_distributed_table():
    out = StringIO()
    call_command("migrate_clickhouse", "--sql", "--cluster", "logs_cluster", stdout=out)
    sql = out.getvalue()
    assert "CREATE TABLE IF NOT EXISTS `logstore`.`logs_local` ON CLUSTER `logs_cluster`" in sql
    assert (
        "ReplicatedMergeTree('/clickhouse/tables/{shard}/logstore/logs_local', '{replica}')" in sql
    )
    assert (
        "ENGINE = Distributed(`logs_cluster`, `logstore`, `logs_local`, "
        "cityHash64(workspace_id, trace_id))" in sql
    )
    assert sql.count("ON CLUSTER `logs_cluster`") >= 4
