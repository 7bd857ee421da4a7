"""Moving a Django-database store's logs to ClickHouse: complete, resumable, counted per day."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from logstore.management.commands.copy_logs_to_clickhouse import chunk_token
from logstore.query.keyset import encode_cursor
from logstore.storage.orm import OrmLogStore
from logstore.storage.port import LogCriteria
from tests.storage.conftest import log_body

pytestmark = pytest.mark.django_db
EVERYTHING = LogCriteria(workspace_ids=None)


@pytest.fixture
def history(ingest, api_key):
    """Seven logs over three days, stored in the Django database.

    Ages count back from the latest noon (UTC), so the logs fall on three calendar days
    whatever time the test runs."""
    now = datetime.now(UTC)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon > now:
        noon -= timedelta(days=1)
    offset = int((now - noon).total_seconds() // 60)
    ages = [offset + m for m in (1, 2, 3, 60 * 24, 60 * 24 + 1, 60 * 48, 60 * 48 + 5)]
    return ingest(api_key, *[log_body(f"u{i}", minutes_ago=m) for i, m in enumerate(ages)])


def copy(tmp_path, *args):
    out = StringIO()
    call_command(
        "copy_logs_to_clickhouse",
        "--chunk-size=3",
        f"--checkpoint={tmp_path / 'checkpoint'}",
        *args,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def test_it_copies_every_log_with_its_id_and_says_each_day_matches(history, request, tmp_path):
    clickhouse = request.getfixturevalue("clickhouse")
    output = copy(tmp_path)
    assert "Every day's logs are in ClickHouse (3)" in output
    copied = {str(log.id): log for rows in clickhouse.chunks(EVERYTHING) for log in rows}
    assert set(copied) == set(history)
    original = OrmLogStore().get(history[0])
    assert copied[history[0]].request == original.request
    assert copied[history[0]].created_at == original.created_at
    assert not (tmp_path / "checkpoint").exists()


def test_a_stopped_run_resumes_without_storing_anything_twice(history, request, tmp_path):
    clickhouse = request.getfixturevalue("clickhouse")
    first, second, _ = OrmLogStore().chunks(EVERYTHING, size=3)
    # Stopped after inserting the second chunk but before recording it: the resumed run
    # copies that chunk again, and its deduplication token keeps it from being stored twice.
    clickhouse.insert_rows(first, dedup_token=chunk_token(first))
    clickhouse.insert_rows(second, dedup_token=chunk_token(second))
    (tmp_path / "checkpoint").write_text(encode_cursor(first[-1]))
    assert "Resuming after" in copy(tmp_path)
    assert clickhouse.count_upto(EVERYTHING, 100) == 7
    copy(tmp_path, "--restart")  # a second full run is harmless too
    assert clickhouse.count_upto(EVERYTHING, 100) == 7


def test_verifying_names_the_days_that_are_short(history, request, tmp_path):
    request.getfixturevalue("clickhouse")
    with pytest.raises(CommandError, match="3 day"):
        copy(tmp_path, "--verify-only")


def test_it_refuses_to_run_without_clickhouse(tmp_path):
    with pytest.raises(CommandError, match="CLICKHOUSE_URL"):
        copy(tmp_path)
