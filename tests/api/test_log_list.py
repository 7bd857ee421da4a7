"""GET /logs: the shared filters as query parameters, newest first, cursor-paged."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logstore.models import ApiKey
from tests.payloads import openai_chat

pytestmark = pytest.mark.django_db


def at(minutes_ago, user, **extra):
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {**openai_chat(user, **extra), "createdAt": when.isoformat()}


def walk(api, url):
    """Every page's users, following `next` links."""
    pages = []
    while url:
        body = api.get(url).json()
        pages.append([log["user"] for log in body["results"]])
        url = body["next"]
    return pages


def test_it_pages_newest_first_without_gaps_or_repeats(api, post_logs):
    # Two logs share a timestamp, so the id breaks the tie.
    post_logs(at(5, "e"), at(1, "a"), at(3, "c"), at(2, "b"))
    post_logs(at(4, "d1"), at(6, "f"))
    post_logs(at(4, "d2"))
    pages = walk(api, "/logs?limit=2")
    flat = [user for page in pages for user in page]
    assert len(flat) == 7 and len(set(flat)) == 7
    assert flat[:3] == ["a", "b", "c"] and flat[-2:] == ["e", "f"]
    assert set(flat[3:5]) == {"d1", "d2"}
    assert all(len(page) <= 2 for page in pages)


def test_it_lists_the_last_seven_days_unless_given_a_time(api, post_logs):
    post_logs(at(60, "recent"), at(60 * 24 * 10, "old"))
    assert [log["user"] for log in api.get("/logs").json()["results"]] == ["recent"]
    assert len(api.get("/logs", {"since": "30d"}).json()["results"]) == 2
    start = (datetime.now(UTC) - timedelta(days=11)).isoformat()
    assert len(api.get("/logs", {"start": start}).json()["results"]) == 2


def test_it_applies_the_shared_filters_and_leaves_bodies_out(api, post_logs):
    post_logs(
        at(1, "a", env="prod"), at(2, "b", env="dev"), {**at(3, "c", env="prod"), "trace_id": "t"}
    )
    results = api.get("/v1/logs", {"metadata": "env=prod", "trace_id": "t,u"}).json()["results"]
    assert [log["user"] for log in results] == ["c"]
    assert "request" not in results[0] and results[0]["metrics"]["total_tokens"] == 12


def test_it_never_counts_the_log_table(api, post_logs):
    post_logs(at(1, "a"), at(2, "b"), at(3, "c"))
    api.get("/logs")  # records the key's last use, so the measured call only reads
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/logs?limit=2").status_code == 200
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]
    log_reads = [q for q in queries if '"logstore_log"' in q["sql"]]
    assert len(log_reads) == 1  # one page of logs, nothing else over the table


def test_it_shows_only_the_keys_workspace(api, post_logs, other_api_key, make_api):
    post_logs(at(1, "mine"))
    assert make_api(other_api_key).get("/logs").json()["results"] == []


def test_an_invalid_filter_is_a_400_naming_it(api):
    response = api.get("/logs", {"status_class": "9xx"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid filter status_class:")


def test_listing_needs_the_read_scope(workspace, make_api):
    key, raw = ApiKey.generate(workspace, "writer", scopes=["logs.write"])
    key.raw = raw
    assert make_api(key).get("/logs").status_code == 403


@pytest.mark.parametrize(
    "cursor",
    [
        "cD1nYXJiYWdl",  # base64 of "p=garbage", the old offset cursor's shape
        "o.garbage",
        "n.1.nothex",
        "o.99999999999999999999999.0123456789abcdef0123456789abcdef",
        "x.1.0123456789abcdef0123456789abcdef",
        "o.",
    ],
)
def test_a_forged_cursor_is_a_400_naming_the_parameter(api, post_logs, cursor):
    post_logs(at(1, "a"))
    response = api.get("/logs", {"cursor": cursor})
    assert response.status_code == 400, response.content
    body = response.json()
    assert "cursor" in body["message"]
    assert body["error"]["details"][0]["field"] == "cursor"
