"""Sidebar filters (through LogFilter) and exact, indexed search on the log changelist."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.admin.conftest import CHANGELIST

pytestmark = pytest.mark.django_db


def users(client, query):
    response = client.get(CHANGELIST + query)
    assert response.status_code == 200, response.get("Location")
    return sorted(log.user for log in response.context["cl"].result_list)


def test_it_filters_by_status_class_and_exact_status(superuser_client, make_log):
    make_log(user="ok", status=200)
    make_log(user="limited", status=429)
    make_log(user="broken", status=503)
    assert users(superuser_client, "?status_class=5xx") == ["broken"]
    assert users(superuser_client, "?status_class=4xx") == ["limited"]
    assert users(superuser_client, "?status=429,503") == ["broken", "limited"]
    assert users(superuser_client, "?status_class=2xx&status=200") == ["ok"]


def test_it_filters_by_provider_model_environment_and_streaming(superuser_client, make_log):
    make_log(user="a", provider="anthropic", model="claude-3", environment="prod")
    make_log(user="b", provider="openai", model="gpt-4o", environment="staging", streaming=True)
    assert users(superuser_client, "?provider=anthropic") == ["a"]
    assert users(superuser_client, "?model=gpt-4o") == ["b"]
    assert users(superuser_client, "?environment=staging") == ["b"]
    assert users(superuser_client, "?streaming=true") == ["b"]
    assert users(superuser_client, "?streaming=false") == ["a"]


def test_it_suggests_recent_providers_and_models_without_scanning(superuser_client, make_log):
    make_log(provider="anthropic", model="claude-3")
    with CaptureQueriesContext(connection) as captured:
        body = superuser_client.get(CHANGELIST).content.decode()
    assert '<option value="anthropic">' in body
    assert '<option value="claude-3">' in body
    suggestions = [q["sql"] for q in captured.captured_queries if "LIMIT 2000" in q["sql"]]
    assert len(suggestions) == 1
    assert suggestions[0].startswith('SELECT "logstore_log"."provider" AS "provider"')
    assert "DISTINCT" not in suggestions[0].upper()


def test_it_filters_by_workspace(superuser_client, make_log, other_workspace):
    make_log(user="acme-user")
    make_log(ws=other_workspace, user="globex-user")
    assert users(superuser_client, f"?workspace={other_workspace.pk}") == ["globex-user"]
    assert 'data-filter-title="workspace"' in superuser_client.get(CHANGELIST).content.decode()


def test_it_filters_by_time_presets_and_a_custom_range(superuser_client, make_log):
    make_log(user="now")
    make_log(user="hours-ago", age=timedelta(hours=3))
    make_log(user="days-ago", age=timedelta(days=3))
    make_log(user="weeks-ago", age=timedelta(days=20))
    assert users(superuser_client, "?since=1h") == ["now"]
    assert users(superuser_client, "?since=24h") == ["hours-ago", "now"]
    assert users(superuser_client, "?since=7d") == ["days-ago", "hours-ago", "now"]
    from django.utils import timezone

    start = (timezone.now() - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%S")
    end = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert users(superuser_client, f"?start={start}&end={end}") == ["days-ago"]


def test_it_filters_by_metadata_key_value_pairs(superuser_client, make_log):
    make_log(user="a", metadata={"tier": 5, "team": "x"}, metadata_index={"tier": "5", "team": "x"})
    make_log(user="b", metadata={"tier": "5"}, metadata_index={"tier": "5", "team": "y"})
    make_log(user="c", metadata={"tier": 6}, metadata_index={"tier": "6"})
    assert users(superuser_client, "?metadata=tier%3D5") == ["a", "b"]
    assert users(superuser_client, "?metadata=tier%3D5&metadata=team%3Dy") == ["b"]
    body = superuser_client.get(CHANGELIST + "?metadata=tier%3D5").content.decode()
    # The metadata form carries the active pair along, so a second pair narrows the first.
    assert '<input type="hidden" name="metadata" value="tier=5">' in body


def test_it_filters_by_trace_and_user_links(superuser_client, make_log):
    make_log(user="a", trace_id="t-1")
    make_log(user="b", trace_id="t-1")
    make_log(user="c", trace_id="t-2")
    assert users(superuser_client, "?trace_id=t-1") == ["a", "b"]
    assert users(superuser_client, "?trace_id=t-1,t-2&user=c") == ["c"]


def test_it_reports_a_bad_filter_value_instead_of_failing(superuser_client, make_log):
    make_log(user="a")
    response = superuser_client.get(CHANGELIST + "?status=abc")
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("not an HTTP status code" in m for m in messages)


def test_the_filter_forms_keep_the_other_active_filters(superuser_client, make_log):
    make_log()
    body = superuser_client.get(CHANGELIST + "?status_class=5xx&q=abc").content.decode()
    assert '<input type="hidden" name="status_class" value="5xx">' in body
    assert '<input type="hidden" name="q" value="abc">' in body


def test_search_matches_trace_span_log_id_user_and_organization_exactly(superuser_client, make_log):
    target = make_log(user="alice", trace_id="trace-abc", span_id="span-xyz", organization="org-42")
    make_log(user="alicia", trace_id="trace-abcd", span_id="span-xyzw", organization="org-421")
    for term in ("trace-abc", "span-xyz", str(target.pk), "alice", "org-42"):
        assert users(superuser_client, f"?q={term}") == ["alice"], term
    assert users(superuser_client, "?q=trace-ab") == []
    assert users(superuser_client, "?q=ALICE") == []


def test_search_prefixes_pick_one_column(superuser_client, make_log):
    make_log(user="bob", trace_id="shared")
    make_log(user="shared", trace_id="t-9")
    assert users(superuser_client, "?q=shared") == ["bob", "shared"]
    assert users(superuser_client, "?q=trace:shared") == ["bob"]
    assert users(superuser_client, "?q=user:shared") == ["shared"]


def test_search_matches_ids_exactly_and_text_only_through_its_index(superuser_client, make_log):
    make_log()
    with CaptureQueriesContext(connection) as captured:
        superuser_client.get(CHANGELIST + "?q=trace-1")
    sql = " ".join(q["sql"] for q in captured.captured_queries if "logstore_log" in q["sql"])
    assert '"logstore_log"."trace_id" = ' in sql
    # The one LIKE is the full-text search's, over the trigram-indexed search_text (SQLite
    # asks its FTS5 table instead); no other column is ever scanned with LIKE.
    likes = re.findall(r'("[a-z_]+"\."[a-z_]+")::text LIKE|("[a-z_]+"\."[a-z_]+") LIKE', sql)
    assert {a or b for a, b in likes} <= {'"logstore_log"."search_text"'}


@pytest.mark.parametrize(
    "query,expected",
    [
        ("?end=0001-01-01T00:00:00Z", []),
        ("?start=0001-01-01T00:00:00%2B14:00", ["recent"]),
        ("?end=9999-12-31T23:59:59-14:00", ["recent"]),
        ("?end=9999-12-31T23:59:59.999999Z", ["recent"]),
    ],
)
def test_it_reads_the_calendars_ends_as_time_bounds(superuser_client, make_log, query, expected):
    make_log(user="recent")
    assert users(superuser_client, query) == expected


@pytest.mark.parametrize("term", ["id:not-a-uuid", "id:12345", "ID:zzz"])
def test_searching_an_id_that_is_no_uuid_lists_nothing(superuser_client, make_log, term):
    make_log(user="someone")
    assert users(superuser_client, f"?q={term}") == []
