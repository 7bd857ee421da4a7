"""Pages of logs with two or more metadata pairs on the partitioned table: the plan each kind of
pair combination gets (from EXPLAIN ANALYZE of the queries the store runs), and the rows."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from logstore.core.ids import uuid7
from logstore.ingestion.store import prepare_logs
from logstore.models import Log
from logstore.storage.orm import OrmLogStore, criteria_q, walk_budget
from logstore.storage.partitions import create_partition, partition_name
from logstore.storage.port import LogCriteria
from tests.payloads import openai_chat
from tests.plans import nodes, rows_read, scans

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ROWS = 20_000
# Rows i = 0..ROWS-1, 8 s apart over two days of their own partitions (10k rows each):
# color=red and size=big each hold for half of them, both for a quarter (common);
# batch=b7 and group=g7 for the same 10 rows (rare); team=t0 for 400 rows, all red (between);
# phase=early for 250 rows of the first day only, all red (none among the newest rows);
# burst=on for the newest 50 rows and 50 rows 600 to 650 rows before the newest walk's
# oldest (two traces' spans, say: matches that come in bursts); near=on for none of the
# newest walk's rows, the 200 rows just before it and every 10th row of the first day.
FIRST_DAY = date(2031, 3, 1)
COMMON = (("color", "red"), ("size", "big"))
RARE = (("batch", "b7"), ("group", "g7"))
COMMON_AND_RARE = (("color", "blue"), ("batch", "b7"))
BETWEEN = (("color", "red"), ("team", "t0"))
EARLY = (("color", "red"), ("phase", "early"))
ONE_BETWEEN = (("team", "t0"),)  # one pair is planned the same way
BURST = (("burst", "on"),)
NEAR = (("near", "on"),)


def metadata_of(i):
    return {
        "color": "red" if i % 2 == 0 else "blue",
        "size": "big" if (i // 2) % 2 == 0 else "small",
        "batch": f"b{i % 2000}",
        "group": f"g{i % 500}",
        "team": f"t{i % 50}",
        **({"phase": "early"} if i < ROWS // 2 and i % 40 == 0 else {}),
        **({"burst": "on"} if in_burst(i) else {}),
        **({"near": "on"} if near(i) else {}),
    }


def in_burst(i):
    walked = ROWS - walk_budget(50)
    return i >= ROWS - 50 or walked - 650 <= i < walked - 600


def near(i):
    walked = ROWS - walk_budget(50)
    return walked - 200 <= i < walked or (i < ROWS // 2 and i % 10 == 0)


@pytest.fixture
def many_logs(workspace):
    # Partitions of their own, made and analyzed inside the test's transaction: ANALYZE
    # writes a table's row count in place, which no rollback undoes, so analyzing the shared
    # partitions would change other tests' plans.
    days = [FIRST_DAY, FIRST_DAY + timedelta(days=1)]
    for day in days:
        create_partition(day)
    (seed,) = prepare_logs([openai_chat()], {})
    start = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC)
    logs = []
    for i in range(ROWS):
        when = start + timedelta(seconds=8 * i)
        logs.append(replace(seed, created_at=when, received_at=when, metadata_index=metadata_of(i)))
    OrmLogStore().insert(workspace.pk, None, [uuid7() for _ in logs], logs)
    with connection.cursor() as cursor:
        for name in map(partition_name, days):
            # Statistics too coarse to tell pair combinations apart, as a hundred sampled
            # values per partition are for two pairs among millions of rows: left to itself,
            # the planner then walks every row of both partitions for the rare pairs.
            cursor.execute(f"ALTER TABLE {name} ALTER COLUMN metadata_index SET STATISTICS 1")
            cursor.execute(f"ANALYZE {name}")
    return workspace


@pytest.fixture
def plans():
    """The JSON plan (EXPLAIN ANALYZE) of every query on the log table run inside, in order."""
    captured = []

    def explain(execute, sql, params, many, context):
        if sql.lstrip().startswith("SELECT") and '"logstore_log"' in sql:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
                (plan,) = cursor.fetchone()
            captured.append(json.loads(plan) if isinstance(plan, str) else plan)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        yield captured


def days_read(plan):
    """The daily partitions a plan scans (the default one holds times past the last day's)."""
    days = {node["Relation Name"] for node in scans(plan) if "Relation Name" in node}
    return days - {"logstore_log_default"}


def criteria(workspace, pairs):
    return LogCriteria(workspace_ids=(workspace.pk,), metadata=pairs)


def straightforward(workspace, pairs, limit=50):
    queryset = Log.objects.filter(criteria_q(criteria(workspace, pairs)))
    return list(queryset.order_by("-created_at", "-id").values_list("id", flat=True)[:limit])


def test_a_rare_pair_combination_is_read_from_the_gin_index(many_logs, plans):
    page = OrmLogStore().page(criteria(many_logs, RARE))
    assert len(page.rows) == 10
    final = plans[-1]
    index_scans = {node.get("Index Name", "") for node in scans(final)}
    assert any(name.endswith("_metadata_index_idx") for name in index_scans), final
    assert all(node["Node Type"] != "Seq Scan" for node in scans(final)), final
    # The newest rows' times read from the index, those rows walked, then the bitmap: never
    # a whole partition.
    assert sum(rows_read(plan) for plan in plans) < 2 * walk_budget(50) + 100 < ROWS // 2


def test_a_common_pair_combination_walks_the_time_index_with_a_limit(many_logs, plans):
    page = OrmLogStore().page(criteria(many_logs, COMMON))
    assert len(page.rows) == 50 and page.older
    final = plans[-1]
    assert final[0]["Plan"]["Node Type"] == "Limit", final
    kinds = {node["Node Type"] for node in scans(final)}
    assert kinds == {"Index Scan"}, final
    assert all(node.get("Index Name", "").endswith("created_at_id_idx") for node in scans(final))
    assert all(node["Node Type"] != "Sort" for node in nodes(final)), final
    # A page of a quarter of the rows: about 200 rows walked, never a whole partition.
    partition_rows = ROWS // 2
    assert rows_read(final) < 400 < partition_rows
    assert sum(rows_read(plan) for plan in plans) < partition_rows // 4
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'), "
            "current_setting('enable_bitmapscan')"
        )
        assert cursor.fetchone() == ("on", "on", "on")  # as they were before the page


@pytest.mark.parametrize("pairs", [BETWEEN, ONE_BETWEEN], ids=["two pairs", "one pair"])
def test_pairs_between_rare_and_common_read_a_bounded_walk_then_a_window_of_the_gin_index(
    many_logs, plans, pairs
):
    page = OrmLogStore().page(criteria(many_logs, pairs))
    assert len(page.rows) == 50
    final = plans[-1]
    index_scans = {node.get("Index Name", "") for node in scans(final)}
    assert any(name.endswith("_metadata_index_idx") for name in index_scans), final
    # Before it, a walk of the newest rows stopped at its budget, far short of the 20k rows.
    budget = walk_budget(50)
    assert budget < ROWS // 10
    walks = [plan for plan in plans[:-1] if {n["Node Type"] for n in scans(plan)} == {"Index Scan"}]
    assert walks and all(rows_read(plan) <= budget + 1 for plan in walks), walks
    # The bitmap covered a window sized by what the walk found: of the days, the newest only,
    # and fewer rows than the 400 the pairs match.
    assert days_read(final) == {partition_name(FIRST_DAY + timedelta(days=1))}, final
    assert rows_read(final) <= 200, final


def test_a_walk_holding_exactly_the_page_is_followed_by_a_window_not_the_whole_bitmap(
    many_logs, plans
):
    # The walk's 50 matches say the pair matches 1 row in 20: at that rate the 51st would be
    # a few rows past the walk. It is 600 rows past it, still within the walk's own span.
    page = OrmLogStore().page(criteria(many_logs, BURST))
    assert len(page.rows) == 50 and page.older
    final = plans[-1]
    assert days_read(final) == {partition_name(FIRST_DAY + timedelta(days=1))}, final
    assert rows_read(final) <= 100, final


def test_a_walk_without_a_match_is_followed_by_a_window_of_a_few_walks_not_of_the_table(
    many_logs, plans
):
    # No match in the walk says only that the pair matches less than 1 row in 1,020: a window
    # sized from that bound would reach back past the first day and fetch its 1,000 matches.
    page = OrmLogStore().page(criteria(many_logs, NEAR))
    assert len(page.rows) == 50 and page.older
    final = plans[-1]
    assert days_read(final) == {partition_name(FIRST_DAY + timedelta(days=1))}, final
    assert rows_read(final) <= 250, final


def test_pages_of_metadata_pairs_hold_what_the_straightforward_query_finds(many_logs):
    store = OrmLogStore()
    for pairs in (COMMON, RARE, COMMON_AND_RARE, BETWEEN, EARLY, ONE_BETWEEN, BURST, NEAR):
        expected = straightforward(many_logs, pairs, limit=120)
        first = store.page(criteria(many_logs, pairs))
        assert [log.id for log in first.rows] == expected[:50], pairs
        if len(expected) <= 50:
            assert first.older is None
            continue
        second = store.page(criteria(many_logs, pairs), after=first.older)
        assert [log.id for log in second.rows] == expected[50:100], pairs
        back = store.page(criteria(many_logs, pairs), before=second.newer)
        assert [log.id for log in back.rows] == expected[:50], pairs
