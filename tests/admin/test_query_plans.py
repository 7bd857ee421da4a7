"""On PostgreSQL, the changelist's main query is served by indexes, not by a scan of the table."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.admin.conftest import CHANGELIST

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def page_query(client, query):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    pages = [q["sql"] for q in captured.captured_queries if q["sql"].endswith("LIMIT 51")]
    assert len(pages) == 1, pages
    return pages[0]


def plan_nodes(sql):
    with connection.cursor() as cursor:
        # A test table holds a few hundred rows, where a sequential scan is honestly cheapest;
        # turning it off asks whether an index *can* answer the query, which is the question.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("ANALYZE logstore_log")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", []))
    return nodes


def index_conditions(nodes):
    return [n.get("Index Cond", "") for n in nodes if "Index" in n["Node Type"]]


@pytest.fixture
def many_logs(make_log, other_workspace):
    for i in range(400):
        make_log(ws=other_workspace if i % 2 else None, trace_id=f"trace-{i % 50}", user=f"u{i}")


def test_a_trace_id_search_is_an_index_lookup(superuser_client, many_logs):
    nodes = plan_nodes(page_query(superuser_client, "?q=trace:trace-7"))
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"]
    assert [c for c in index_conditions(nodes) if "trace_id" in c], nodes


def test_the_all_fields_search_uses_an_index_per_column(superuser_client, many_logs):
    nodes = plan_nodes(page_query(superuser_client, "?q=trace-7"))
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"]
    conditions = " ".join(index_conditions(nodes))
    for column in ("trace_id", "span_id", "user", "organization"):
        assert column in conditions, (column, nodes)


def test_the_unfiltered_list_reads_the_newest_rows_from_an_index(superuser_client, many_logs):
    nodes = plan_nodes(page_query(superuser_client, ""))
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"]
    assert not [n for n in nodes if n["Node Type"] == "Sort"], nodes
