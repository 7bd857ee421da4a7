"""The storage port's contract, run on every backend: the Django database under test
(SQLite or PostgreSQL) and ClickHouse (in-process chDB).

Each test stores logs through the real ingest API and reads them back through the port (or
through the surface that uses it), so a backend that answers differently fails here.
"""

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import OperationalError, connection, connections
from django.http import QueryDict

from logstore.ingestion.store import IdempotencyConflict, prepare_logs, store_logs
from logstore.models import Feedback, IdempotencyRecord
from logstore.query.filters import LogFilter
from logstore.query.keyset import PAGE_SIZE, SORTS
from logstore.storage.port import LogCriteria, without_bodies
from tests.posting import post_json
from tests.storage.conftest import NOW, log_body

pytestmark = pytest.mark.django_db


def users(rows):
    return [log.user for log in rows]


def every_page(store, criteria, size):
    """Users page by page, following `older` cursors to the end."""
    pages, cursor = [], None
    while True:
        page = store.page(criteria, after=cursor, size=size)
        pages.append(users(page.rows))
        if not page.older:
            return pages, page
        cursor = page.older


def test_it_stores_a_batch_and_reads_each_log_back_by_id(log_store, ingest, api_key, workspace):
    body = log_body("alice", md_feature="search", md_tier=5, span_id="s1", latency=250)
    ids = ingest(api_key, body, log_body("bob"))
    log = log_store.get(ids[0], [workspace.pk], with_workspace=True)
    assert str(log.id) == ids[0] and log.workspace.slug == "acme"
    assert (log.user, log.span_id, log.latency_ms, log.total_tokens) == ("alice", "s1", 250, 12)
    assert log.created_at == NOW - timedelta(minutes=1)
    assert log.request["body"]["messages"][0]["content"] == "Hello"
    assert log.metadata == {"_user": "alice", "feature": "search", "tier": 5}
    assert log.metadata_index == {"_user": "alice", "feature": "search", "tier": "5"}
    assert log_store.get(ids[0], [workspace.pk + 1]) is None
    assert str(log_store.get(ids[1]).id) == ids[1]


def test_it_pages_newest_first_through_ties_without_gaps_or_repeats(
    log_store, ingest, api_key, workspace
):
    bodies = [log_body(f"u{i}", minutes_ago=i) for i in range(7)]
    bodies[4]["createdAt"] = bodies[3]["createdAt"]  # a tie: the id decides
    bodies[5]["createdAt"] = bodies[3]["createdAt"]
    ingest(api_key, *bodies)
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    pages, last = every_page(log_store, criteria, size=2)
    flat = [user for page in pages for user in page]
    assert len(flat) == 7 and set(flat) == {f"u{i}" for i in range(7)}
    assert flat[:3] == ["u0", "u1", "u2"] and flat[-1] == "u6"
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    # And back: the page before the last is the one that was shown before it.
    back = log_store.page(criteria, before=last.newer, size=2)
    assert users(back.rows) == pages[-2]
    assert back.newer and back.older


def test_a_page_holds_only_the_columns_asked_for(log_store, ingest, api_key, workspace):
    ingest(api_key, log_body("alice", md_feature="x"))
    page = log_store.page(
        LogCriteria(workspace_ids=(workspace.pk,)), columns=without_bodies("metadata_index")
    )
    (log,) = page.rows
    assert log.user == "alice" and log.metadata_index["feature"] == "x"
    assert page.newer is None and page.older is None
    assert log_store.page(LogCriteria(workspace_ids=(workspace.pk,)), size=PAGE_SIZE).rows


def test_it_keeps_workspaces_apart(log_store, ingest, api_key, other_api_key, workspace):
    ingest(api_key, log_body("mine"))
    ingest(other_api_key, log_body("theirs"))
    assert users(log_store.page(LogCriteria(workspace_ids=(workspace.pk,))).rows) == ["mine"]
    assert users(log_store.page(LogCriteria(workspace_ids=())).rows) == []
    assert sorted(users(log_store.page(LogCriteria(workspace_ids=None)).rows)) == [
        "mine",
        "theirs",
    ]


# Every LogFilter parameter: (query string, the users it selects from FILTER_LOGS).
FILTER_LOGS = [
    log_body(
        "a",
        minutes_ago=5,
        trace="t1",
        span_id="s1",
        latency=100,
        tokens=(5, 5),
        md_env="prod",
        md_tier=1,
        md__organisation="org1",
        md__environment="live",
        cost=0.5,
        prompt="Grüße aus Köln",
        span_name="Retrieve docs",
    ),
    log_body(
        "b",
        minutes_ago=50,
        trace="t1",
        span_id="s2",
        status=429,
        latency=900,
        tokens=(100, 50),
        md_env="dev",
        stream=True,
        cost=2,
    ),
    log_body(
        "c",
        minutes_ago=60 * 30,
        trace="t2",
        model="claude-3",
        status=503,
        latency=2000,
        url="https://api.anthropic.com/v1/messages",
        md_env="prod",
        md_tier=2,
        cost="0.01",
    ),
    log_body(
        "d", minutes_ago=60 * 24 * 10, trace="t3", status=201, md_env="", model="unknown-model-x"
    ),
]
FILTER_CASES = {
    "since": ("since=1h", {"a", "b"}),
    "start": (f"start={(NOW - timedelta(hours=2)).isoformat().replace('+00:00', 'Z')}", {"a", "b"}),
    "end": (f"end={(NOW - timedelta(hours=2)).isoformat().replace('+00:00', 'Z')}", {"c", "d"}),
    "trace_id": ("trace_id=t1,t3", {"a", "b", "d"}),
    "span_id": ("span_id=s2", {"b"}),
    "user": ("user=c", {"c"}),
    "organization": ("organization=org1", {"a"}),
    "environment": ("environment=live", {"a"}),
    "provider": ("provider=anthropic", {"c"}),
    "model": ("model=claude-3", {"c"}),
    "status": ("status=429,201", {"b", "d"}),
    "status_class": ("status_class=5xx&status_class=2xx", {"a", "c", "d"}),
    "success": ("success=false", {"b", "c"}),
    "latency_min": ("latency_min=900", {"b", "c"}),
    "latency_max": ("latency_max=900", {"a", "b", "d"}),
    "tokens_min": ("tokens_min=12", {"b", "c", "d"}),
    "tokens_max": ("tokens_max=12", {"a", "c", "d"}),
    "prompt_tokens_min": ("prompt_tokens_min=10", {"b"}),
    "prompt_tokens_max": ("prompt_tokens_max=5", {"a"}),
    "completion_tokens_min": ("completion_tokens_min=5", {"a", "b"}),
    "completion_tokens_max": ("completion_tokens_max=3", {"c", "d"}),
    "provider_model": ("provider_model=anthropic__claude-3,openai__nope", {"c"}),
    "streaming": ("streaming=true", {"b"}),
    "metadata": ("metadata=env=prod&metadata=tier=2", {"c"}),
    "feedback_min": ("feedback_min=0.5", {"a", "b"}),
    "feedback_max": ("feedback_max=0.5", {"c"}),
    "cost_min": ("cost_min=0.5", {"a", "b"}),
    "cost_max": ("cost_max=0.5", {"a", "c"}),
    "priced": ("priced=false", {"d"}),
    "q": ("q=KÖLN", {"a"}),
    "model_contains": ("model_contains=CLAUDE", {"c"}),
    "user_contains": ("user_contains=B", {"b"}),
    "url_contains": ("url_contains=Anthropic", {"c"}),
    "span_name_contains": ("span_name_contains=retrieve", {"a"}),
}


def test_every_logfilter_parameter_has_a_contract_case():
    assert set(FILTER_CASES) == set(LogFilter.base_filters)


@pytest.mark.parametrize("parameter", sorted(FILTER_CASES))
def test_each_filter_parameter_selects_the_same_logs(
    log_store, ingest, api_key, workspace, parameter
):
    ingest(api_key, *FILTER_LOGS)
    Feedback.objects.create(workspace=workspace, trace_id="t1", value=1, weight=1)
    Feedback.objects.create(workspace=workspace, trace_id="t2", value=-1, weight=2)
    Feedback.objects.create(workspace_id=workspace.pk + 1, trace_id="t3", value=1)
    query, expected = FILTER_CASES[parameter]
    filterset = LogFilter(QueryDict(query))
    assert filterset.is_valid(), filterset.errors
    criteria = filterset.criteria(workspace_ids=[workspace.pk])
    assert set(users(log_store.page(criteria).rows)) == expected


def test_an_empty_metadata_value_does_not_match_a_missing_key(
    log_store, ingest, api_key, workspace
):
    ingest(api_key, log_body("has-empty", md_env=""), log_body("has-none"))
    empty = LogFilter(QueryDict("metadata=env="))
    assert empty.is_valid()
    criteria = empty.criteria(workspace_ids=[workspace.pk])
    assert users(log_store.page(criteria).rows) == ["has-empty"]
    conflicting = LogFilter(QueryDict("metadata=env=a&metadata=env=b"))
    assert conflicting.is_valid()
    assert log_store.page(conflicting.criteria(workspace_ids=[workspace.pk])).rows == []


def test_exact_search_matches_any_named_column(log_store, ingest, api_key, workspace):
    ids = ingest(api_key, log_body("alice", trace="tx"), log_body("bob", span_id="tx"))
    ingest(api_key, log_body("carol"))
    scope = (workspace.pk,)
    found = log_store.page(
        LogCriteria(workspace_ids=scope, any_of=(("trace_id", "tx"), ("span_id", "tx")))
    )
    assert sorted(users(found.rows)) == ["alice", "bob"]
    from uuid import UUID

    by_id = log_store.page(LogCriteria(workspace_ids=scope, any_of=(("id", UUID(ids[1])),)))
    assert users(by_id.rows) == ["bob"]


def test_a_trace_is_its_spans_oldest_first_within_scope(
    log_store, ingest, api_key, other_api_key, workspace
):
    ingest(
        api_key,
        log_body("child", minutes_ago=1, trace="T", span_id="c", parent_span_id="r"),
        log_body("root", minutes_ago=2, trace="T", span_id="r"),
        log_body("other", trace="U"),
    )
    ingest(other_api_key, log_body("foreign", trace="T"))
    spans = log_store.trace("T", [workspace.pk], limit=10)
    assert users(spans) == ["root", "child"]
    assert spans[0].workspace.slug == "acme"
    assert len(log_store.trace("T", None, limit=10)) == 3
    assert len(log_store.trace("T", None, limit=1)) == 1
    parent = log_store.first_span(workspace.pk, "T", "r")
    assert str(parent) == str(spans[0].id)
    assert log_store.first_span(workspace.pk, "T", "nope") is None


def test_charts_count_errors_tokens_and_percentiles_per_bucket(
    log_store, ingest, api_key, workspace
):
    when = (NOW - timedelta(minutes=90)).replace(second=30).isoformat()
    bodies = []
    for index, latency in enumerate([100, 200, 300, 400]):
        bodies.append({**log_body(f"u{index}", latency=latency), "createdAt": when})
    bodies.append({**log_body("bad", status=503, latency=1000), "createdAt": when})
    ingest(api_key, *bodies)
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    series = log_store.timeseries(criteria, NOW - timedelta(hours=3), NOW)
    assert series.step == timedelta(minutes=1) and len(series.buckets) in (180, 181)
    (bucket,) = [b for b in series.buckets if b.requests]
    assert (bucket.requests, bucket.errors, bucket.tokens) == (5, 1, 60)
    assert bucket.p50 == pytest.approx(300) and bucket.p95 == pytest.approx(880)
    for days, step in ((7, timedelta(hours=1)), (30, timedelta(days=1))):
        wide = log_store.timeseries(criteria, NOW - timedelta(days=days), NOW)
        assert wide.step == step
        assert [(b.requests, b.errors) for b in wide.buckets if b.requests] == [(5, 1)]


def test_breakdowns_rank_values_by_requests(log_store, ingest, api_key, workspace):
    ingest(
        api_key,
        log_body("alice", model="m1", md_feature="search"),
        log_body("alice", model="m1", status=500, md_feature="search"),
        log_body("bob", model="m2", md_feature="chat"),
        log_body("carol", model="m2"),
        log_body("dave", model="m2"),
    )
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    window = (NOW - timedelta(hours=1), NOW + timedelta(minutes=1))
    rows = log_store.breakdown(criteria, *window, "model")
    assert [(r.value, r.requests, r.errors) for r in rows] == [("m2", 3, 0), ("m1", 2, 1)]
    assert rows[1].share == pytest.approx(2 / 3)
    by_user = log_store.breakdown(criteria, *window, "user", limit=1)
    assert [(r.value, r.requests) for r in by_user] == [("alice", 2)]
    by_key = log_store.breakdown(criteria, *window, "metadata", "feature")
    values = {r.value: r.requests for r in by_key}
    assert values["search"] == 2 and values["chat"] == 1 and values[None] == 2


def test_chunks_walk_everything_once_and_resume_after_a_row(log_store, ingest, api_key, workspace):
    ingest(api_key, *[log_body(f"u{i}", minutes_ago=i) for i in range(7)])
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    chunks = list(log_store.chunks(criteria, size=3, columns=("user",)))
    assert [users(c) for c in chunks] == [["u0", "u1", "u2"], ["u3", "u4", "u5"], ["u6"]]
    resumed = list(log_store.chunks(criteria, size=3, after=chunks[0][-1]))
    assert users(resumed[0]) == ["u3", "u4", "u5"]
    assert log_store.count_upto(criteria, 5) == 5
    assert log_store.count_upto(criteria, 50) == 7
    assert log_store.recent_values(criteria, ("user", "model"), 2) == [
        ("u0", "gpt-4o-mini"),
        ("u1", "gpt-4o-mini"),
    ]
    assert sum(log_store.count_by_day([workspace.pk]).values()) == 7


def test_an_idempotent_retry_stores_the_batch_once(log_store, ingest, api_key, workspace):
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-1"}
    first = ingest(api_key, log_body("a"), log_body("b"), headers=headers)
    again = ingest(api_key, log_body("a"), log_body("b"), headers=headers)
    assert again == first
    assert log_store.count_upto(LogCriteria(workspace_ids=(workspace.pk,)), 10) == 2


def test_a_concurrent_request_with_the_key_but_another_body_stores_nothing(
    log_store, api_key, workspace, monkeypatch
):
    """The second request arrives while the first is inserting its batch: the interleaving in
    which both used to be stored, since the first records its key only after the insert."""
    first, second = prepare_logs([log_body("a")], {}), prepare_logs([log_body("b")], {})
    insert, outcome = log_store.insert, {}

    def insert_while_another_arrives(*args, **kwargs):
        insert(*args, **kwargs)
        monkeypatch.setattr(log_store, "insert", insert)
        try:
            store_logs(workspace, api_key, second, idempotency_key="k", request_hash="body-b")
            outcome["second"] = "stored"
        except IdempotencyConflict:
            outcome["second"] = "conflict"

    monkeypatch.setattr(log_store, "insert", insert_while_another_arrives)
    result = store_logs(workspace, api_key, first, idempotency_key="k", request_hash="body-a")
    assert result.status_code == 200 and outcome == {"second": "conflict"}
    stored = log_store.page(LogCriteria(workspace_ids=(workspace.pk,))).rows
    assert [log.user for log in stored] == ["a"]
    assert IdempotencyRecord.objects.get(key="k").request_hash == "body-a"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_and_different_bodies_store_one_batch(
    log_store, api_key, workspace, monkeypatch
):
    """Real concurrency: the second request runs in its own thread and connection while the
    first is inserting, and waits on the first's claim of the key until the first commits."""
    first, second = prepare_logs([log_body("a")], {}), prepare_logs([log_body("b")], {})
    insert, outcome = log_store.insert, {}

    def other_request():
        try:
            store_logs(workspace, api_key, second, idempotency_key="k", request_hash="body-b")
            outcome["second"] = "stored"
        except IdempotencyConflict:
            outcome["second"] = "conflict"
        finally:
            connections.close_all()

    other = threading.Thread(target=other_request)

    def insert_while_another_arrives(*args, **kwargs):
        insert(*args, **kwargs)
        monkeypatch.setattr(log_store, "insert", insert)
        other.start()
        # Go on once the other request waits on a lock (or has finished without waiting);
        # the deadline only keeps a broken run from hanging.
        deadline = time.monotonic() + 30
        with connection.cursor() as cursor:
            while other.is_alive() and time.monotonic() < deadline:
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.02)

    monkeypatch.setattr(log_store, "insert", insert_while_another_arrives)
    result = store_logs(workspace, api_key, first, idempotency_key="k", request_hash="body-a")
    other.join(30)
    assert result.status_code == 200 and outcome == {"second": "conflict"}
    stored = log_store.page(LogCriteria(workspace_ids=(workspace.pk,))).rows
    assert [log.user for log in stored] == ["a"]


def test_a_retry_after_a_crash_between_insert_and_record_stores_the_batch_once(
    log_store, make_api, api_key, workspace
):
    """The batch reached the store, then the Django database went away before the record was
    committed: the client's retry with the same key and body stores nothing more."""
    batch = [log_body("a"), log_body("b")]
    api = make_api(api_key)
    lost = OperationalError("server closed the connection unexpectedly")
    with mock.patch("logstore.ingestion.store.remember_metadata_keys", side_effect=lost):
        crashed = post_json(api, batch, HTTP_IDEMPOTENCY_KEY="crash-1")
    assert crashed.status_code == 503
    assert not IdempotencyRecord.objects.exists()
    retry = post_json(api, batch, HTTP_IDEMPOTENCY_KEY="crash-1")
    assert retry.status_code == 200, retry.content
    again = post_json(api, batch, HTTP_IDEMPOTENCY_KEY="crash-1")
    assert again.json()["log_ids"] == retry.json()["log_ids"]
    assert log_store.count_upto(LogCriteria(workspace_ids=(workspace.pk,)), 10) == 2


def test_it_deletes_logs_by_id_only_within_the_workspaces_given(
    log_store, ingest, api_key, other_api_key, workspace
):
    mine, kept = ingest(api_key, log_body("mine"), log_body("kept"))
    [theirs] = ingest(other_api_key, log_body("theirs"))
    log_store.delete([mine, theirs], [workspace.pk])
    assert log_store.get(mine) is None
    assert log_store.get(kept) is not None and log_store.get(theirs) is not None
    log_store.delete([theirs])
    assert users(log_store.page(LogCriteria(workspace_ids=None)).rows) == ["kept"]


def test_a_superuser_deletes_a_log_from_its_admin_page(log_store, ingest, api_key, admin_client):
    doomed, kept = ingest(api_key, log_body("doomed"), log_body("kept"))
    url = f"/admin/logstore/log/{doomed}/delete/"
    confirm = admin_client.get(url)
    assert confirm.status_code == 200 and "Are you sure" in confirm.content.decode()
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302, response.content
    assert log_store.get(doomed) is None and log_store.get(kept) is not None
    assert admin_client.get(f"/admin/logstore/log/{doomed}/change/").status_code == 302


def test_a_superuser_deletes_ticked_logs_from_the_list_after_confirming(
    log_store, ingest, api_key, admin_client
):
    first, second, kept = ingest(api_key, log_body("first"), log_body("second"), log_body("kept"))
    ticked = {"action": "delete_logs", ACTION_CHECKBOX_NAME: [first, second]}
    changelist = admin_client.get("/admin/logstore/log/").content.decode()
    assert 'value="delete_logs"' in changelist and "delete_selected" not in changelist
    confirm = admin_client.post("/admin/logstore/log/", ticked)
    assert confirm.status_code == 200 and "Delete 2 logs?" in confirm.content.decode()
    assert log_store.get(first) is not None  # nothing is deleted before the confirmation
    done = admin_client.post("/admin/logstore/log/", {**ticked, "post": "yes"})
    assert done.status_code == 302
    assert log_store.get(first) is None and log_store.get(second) is None
    assert users(log_store.page(LogCriteria(workspace_ids=None)).rows) == ["kept"]
    assert str(log_store.page(LogCriteria(workspace_ids=None)).rows[0].id) == kept


def test_a_posted_logs_metadata_key_and_value_are_suggested(
    log_store, ingest, api_key, admin_client
):
    """Keys are recorded in the Django database at ingest, whichever backend holds the log;
    values come from the newest log rows, through the port."""
    ingest(api_key, log_body("alice", md_feature="search"))
    keys = admin_client.get("/metadata-keys/", {"metadata": "fea", "workspace": "acme"})
    assert '<option value="feature=">' in keys.content.decode()
    values = admin_client.get("/metadata-keys/", {"metadata": "feature=se", "workspace": "acme"})
    assert '<option value="feature=search">' in values.content.decode()


def test_the_short_search_notice_says_what_the_backend_does(
    log_store, ingest, api_key, admin_client
):
    """Two characters have no trigram: the Django database bounds the scan to the newest rows
    and says so; ClickHouse scans the whole window for every term, so it has nothing to say."""
    ingest(api_key, log_body("alice", prompt="天气"))
    page = admin_client.get("/", {"q": "天气"}).content.decode()
    assert "alice" in page
    bounded = "Searches shorter than 3 characters look only at the newest 5,000 logs" in page
    assert bounded == (log_store.name == "orm")


def test_retention_drops_whole_days_and_deletes_the_rest_in_bounds(
    log_store, ingest, api_key, other_api_key, workspace, other_workspace
):
    from logstore.storage.retention import prune_logs

    workspace.retention_days = 3
    workspace.save()
    other_workspace.retention_days = 30
    other_workspace.save()
    ingest(api_key, log_body("old", minutes_ago=60 * 24 * 10), log_body("new"))
    ingest(other_api_key, log_body("theirs-old", minutes_ago=60 * 24 * 10))
    ingest(other_api_key, log_body("theirs-ancient", minutes_ago=60 * 24 * 40))

    dry = prune_logs(dry_run=True)
    assert dry.deleted_logs.get("acme", 0) + dry.deleted_logs.get("globex", 0) >= 1
    assert log_store.count_upto(LogCriteria(workspace_ids=None), 10) == 4

    report = prune_logs()
    assert report.dropped_partitions == dry.dropped_partitions
    assert report.deleted_logs == dry.deleted_logs
    left = users(log_store.page(LogCriteria(workspace_ids=None)).rows)
    assert sorted(left) == ["new", "theirs-old"]
    if log_store.name == "clickhouse":
        # The 40-day-old day held only expired rows: dropped whole, not deleted row by row.
        assert len(report.dropped_partitions) == 1
        assert report.deleted_logs == {"acme": 1}


@pytest.mark.parametrize("term", ["hello", "lo", "ÖLN"])
def test_text_search_finds_folded_substrings_of_any_length(
    log_store, ingest, api_key, workspace, term
):
    ingest(
        api_key,
        log_body("greek", prompt="Καλημέρα κόσμε"),
        log_body("german", prompt="Grüße aus Köln"),
        log_body("english", prompt="Hello there"),
    )
    expected = {"hello": {"english"}, "lo": {"english"}, "ÖLN": {"german"}}[term]
    filterset = LogFilter(QueryDict(f"q={term}"))
    assert filterset.is_valid(), filterset.errors
    found = log_store.page(filterset.criteria(workspace_ids=[workspace.pk]))
    assert set(users(found.rows)) == expected
    greek = LogFilter(QueryDict("q=ΚΌΣΜΕ"))
    assert greek.is_valid()
    assert users(log_store.page(greek.criteria(workspace_ids=[workspace.pk])).rows) == ["greek"]


def test_a_bare_admin_search_matches_a_column_or_the_text(log_store, ingest, api_key, workspace):
    ingest(api_key, log_body("alice", trace="köln"), log_body("bob", prompt="nach Köln"))
    ingest(api_key, log_body("carol"))
    criteria = LogCriteria(
        workspace_ids=(workspace.pk,), any_of=(("trace_id", "köln"), ("search_text", "köln"))
    )
    assert sorted(users(log_store.page(criteria).rows)) == ["alice", "bob"]


# Every list sort but "time" (newest first, which the paging tests above cover): a sort added
# to keyset.SORTS is checked on every backend without an edit here.
@pytest.mark.parametrize("sort", [name for name, (column, _) in SORTS.items() if column])
def test_it_pages_largest_first_by_a_sort_column_with_missing_values_last(
    log_store, ingest, api_key, workspace, sort
):
    bodies = [
        log_body("big", minutes_ago=5, latency=900, tokens=(90, 10)),
        log_body("tie-new", minutes_ago=1, latency=500, tokens=(40, 10)),
        log_body("tie-old", minutes_ago=3, latency=500, tokens=(40, 10)),
        log_body("small", minutes_ago=2, latency=100, tokens=(1, 1)),
    ]
    missing = log_body("none", minutes_ago=4)
    missing["response"].pop("response_time", None)
    missing["response"]["body"].pop("usage", None)
    ingest(api_key, *bodies, missing)
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    seen, cursor = [], None
    while True:
        page = log_store.page(criteria, after=cursor, size=2, sort=sort)
        seen.extend(users(page.rows))
        if not page.older:
            break
        cursor = page.older
    assert seen == ["big", "tie-new", "tie-old", "small", "none"]
    back = log_store.page(criteria, before=cursor, size=2, sort=sort)
    assert users(back.rows) == ["tie-new", "tie-old"]


def test_live_tail_reads_only_rows_after_the_newest_shown(log_store, ingest, api_key, workspace):
    ingest(api_key, *[log_body(f"u{i}", minutes_ago=10 - i) for i in range(5)])
    criteria = LogCriteria(workspace_ids=(workspace.pk,))
    shown = log_store.page(criteria, size=1).rows[0]
    assert log_store.newer(criteria, shown.created_at, shown.id, limit=10) == []
    oldest = log_store.page(criteria, size=5).rows[-1]
    newer = log_store.newer(criteria, oldest.created_at, oldest.id, limit=2)
    assert users(newer) == ["u2", "u1"]
