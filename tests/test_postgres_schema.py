"""The PostgreSQL layout of the log table: partitions, keys, compression."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection

from logstore.models import Log
from logstore.storage.partitions import DEFAULT_PARTITION, ensure_partitions, partition_name
from tests.payloads import openai_chat

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def scalar(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_the_log_table_is_partitioned_by_event_time():
    assert scalar("SELECT pg_get_partkeydef('logstore_log'::regclass)") == "RANGE (created_at)"
    today = datetime.now(UTC).date()
    assert scalar("SELECT to_regclass(%s) IS NOT NULL", [partition_name(today)])
    assert scalar("SELECT to_regclass(%s) IS NOT NULL", [DEFAULT_PARTITION])


def test_bodies_are_lz4_compressed():
    compression = scalar(
        "SELECT string_agg(attname || '=' || attcompression::text, ',' ORDER BY attname) "
        "FROM pg_attribute WHERE attrelid = 'logstore_log'::regclass "
        "AND attname IN ('request', 'response', 'metadata')"
    )
    assert compression == "metadata=l,request=l,response=l"


def test_a_log_from_long_ago_lands_in_the_default_partition_and_moves_out(api):
    old = (datetime.now(UTC) - timedelta(days=30)).replace(microsecond=0)
    body = {**openai_chat(), "created_at": old.isoformat()}
    response = api.post("/v1/logs", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    assert scalar(f"SELECT count(*) FROM {DEFAULT_PARTITION}") == 1  # noqa: S608

    created = ensure_partitions(days_behind=31, days_ahead=0)
    assert partition_name(old.date()) in created
    assert scalar(f"SELECT count(*) FROM {DEFAULT_PARTITION}") == 0  # noqa: S608
    assert scalar(f"SELECT count(*) FROM {partition_name(old.date())}") == 1  # noqa: S608
    assert Log.objects.get().created_at == old


def test_nul_characters_in_bodies_round_trip(api):
    body = openai_chat()
    body["response"]["body"]["choices"][0]["message"]["content"] = "a\u0000b"
    response = api.post("/v1/logs", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    log = Log.objects.get()
    assert log.response["body"]["choices"][0]["message"]["content"] == "a\u0000b"


def test_rate_limit_windows_skip_the_write_ahead_log():
    assert (
        scalar("SELECT relpersistence FROM pg_class WHERE relname = 'logstore_ratelimitwindow'")
        == "u"
    )


def test_queries_are_not_jit_compiled_however_costly_their_plan():
    """Compiling a plan over a month of partitions took longer than running it."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit_above_cost = 0")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM logstore_log")
        (plan,) = cursor.fetchone()[0]
    assert "JIT" not in plan


def test_bitmap_heap_scans_prefetch_pages_ahead_on_our_connections():
    """A cold metadata page's bitmap fetches rows scattered over a day's partition: read one
    page at a time (PostgreSQL's default), two pairs' cold p95 reached 99 ms at 10M rows, 62
    with prefetching."""
    assert int(scalar("SHOW effective_io_concurrency")) == settings.DB_IO_CONCURRENCY > 1
