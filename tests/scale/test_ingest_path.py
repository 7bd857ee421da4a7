"""The ingest write path: what a request costs in statements, and the bench-only endpoint."""

import pytest

from logstore.ingestion import store as ingestion
from logstore.models import Log, MetadataKey
from tests.payloads import openai_chat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def forget_seen_metadata_keys(monkeypatch):
    monkeypatch.setattr(ingestion, "_seen_keys", set())


@pytest.mark.postgres
def test_a_single_log_with_a_known_key_and_metadata_keys_is_one_statement(
    django_assert_num_queries, django_capture_on_commit_callbacks, post_logs
):
    with django_capture_on_commit_callbacks(execute=True):
        post_logs(openai_chat("alice", feature="search"))  # stores the keys, then remembers them
    # The key check with the usage row, then the INSERT, in one transaction (its savepoint
    # here): no key lookup, no rate-limit upsert (the first request claimed a share of the
    # window), no metadata-key upsert.
    with django_assert_num_queries(4):
        post_logs(openai_chat("bob", feature="chat"))
    assert sorted(Log.objects.values_list("user", flat=True)) == ["alice", "bob"]


def test_a_new_metadata_key_is_still_recorded_after_known_ones(
    api, django_capture_on_commit_callbacks, post_logs
):
    with django_capture_on_commit_callbacks(execute=True):
        post_logs(openai_chat("alice", feature="search"))
    with django_capture_on_commit_callbacks(execute=True):
        post_logs(openai_chat("alice", feature="search", team="core"))
    keys = set(MetadataKey.objects.values_list("key", flat=True))
    assert {"_user", "feature", "team"} <= keys


def test_a_batch_of_many_logs_is_stored_whole(api, post_logs):
    post_logs([openai_chat(f"user-{i}", n=i) for i in range(25)])
    assert Log.objects.count() == 25
    assert Log.objects.get(user="user-7").metadata_index["n"] == "7"


def test_the_no_database_bench_endpoint_is_not_served_by_default(api):
    response = api.post("/bench/no-database", data="{}", content_type="application/json")
    assert response.status_code == 404


def test_deploy_checks_warn_while_bench_endpoints_are_on(settings):
    from logstore.checks import bench_endpoints_are_off

    assert bench_endpoints_are_off(None) == []
    settings.LOGSTORE_BENCH_ENDPOINTS = True
    assert [w.id for w in bench_endpoints_are_off(None)] == ["logstore.W010"]
