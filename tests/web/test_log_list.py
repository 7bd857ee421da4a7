"""The log list: filters from the URL, default window, invalid input, keyset paging, columns."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logstore.query import keyset
from tests.web.conftest import chat

pytestmark = pytest.mark.django_db


def users_in(response):
    return re.findall(r'<td><a href="\?user=([^&"]+)&amp;', response.content.decode())


def test_it_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_logs_in_through_the_login_page(client, member):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    response = client.post(
        "/accounts/login/", {"username": "dev", "password": "s3cret-pass-word"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert b"Log out" in response.content


def test_it_shows_the_last_24_hours_when_no_time_is_given(web, api_key, post_logs):
    post_logs([chat("recent", minutes_ago=30), chat("old", minutes_ago=60 * 30)], key=api_key)
    response = web.get("/")
    assert response.status_code == 200
    assert users_in(response) == ["recent"]
    assert 'aria-current="true">24h</a>' in response.content.decode()
    wider = web.get("/?since=7d")
    assert users_in(wider) == ["recent", "old"]


def test_it_applies_every_filter_from_the_url(web, api_key, post_logs):
    post_logs(
        [
            chat("alice", metadata={"feature": "search", "tier": "pro"}),
            chat("bob", metadata={"feature": "search", "tier": "free"}),
            chat("carol", metadata={"feature": "chat", "tier": "pro"}),
            {**chat("dave"), "trace_id": "t-1"},
            {**chat("erin"), "trace_id": "t-2"},
        ],
        key=api_key,
    )
    assert users_in(web.get("/?metadata=feature%3Dsearch&metadata=tier%3Dpro")) == ["alice"]
    assert sorted(users_in(web.get("/?trace_id=t-1,t-2"))) == ["dave", "erin"]
    assert users_in(web.get("/?user=bob")) == ["bob"]
    assert users_in(web.get("/?model=nope")) == []


def test_it_explains_invalid_filter_input_instead_of_failing(web, api_key, post_logs):
    post_logs([chat("alice")], key=api_key)
    response = web.get("/?status_class=9xx&metadata=novalue&latency_min=abc&start=yesterday")
    assert response.status_code == 200
    body = response.content.decode()
    assert "That filter could not be applied" in body
    assert "Status class: Unknown status class" in body
    assert "must look like key=value" in body
    assert users_in(response) == []


def test_it_reports_a_tampered_cursor(web, api_key, post_logs):
    post_logs([chat("alice")], key=api_key)
    response = web.get("/?after=not-a-cursor!!")
    assert response.status_code == 200
    assert "This page link is not valid" in response.content.decode()


def test_it_pages_newer_and_older_by_keyset(web, api_key, post_logs, monkeypatch):
    monkeypatch.setattr(keyset, "PAGE_SIZE", 3)
    # Two logs share a timestamp: the id breaks the tie, so none is skipped or repeated.
    logs = [chat(f"u{i}", minutes_ago=10 + i) for i in range(7)]
    logs[3]["createdAt"] = logs[4]["createdAt"]
    post_logs(logs, key=api_key)

    seen = []
    response = web.get("/")
    while True:
        page_users = users_in(response)
        seen.extend(page_users)
        older = re.search(r'href="([^"]+)" class="button" rel="next"', response.content.decode())
        if not older:
            break
        response = web.get(older.group(1).replace("&amp;", "&"))
    assert sorted(seen) == sorted(f"u{i}" for i in range(7))
    assert len(seen) == 7

    newer = re.search(r'href="([^"]+)" class="button" rel="prev"', response.content.decode())
    back = web.get(newer.group(1).replace("&amp;", "&"))
    assert users_in(back) == seen[3:6]


def test_it_never_counts_the_log_table(web, api_key, post_logs, django_assert_max_num_queries):
    post_logs([chat(f"u{i}") for i in range(5)], key=api_key)
    with CaptureQueriesContext(connection) as queries:
        web.get("/?cols=feature")
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "COUNT(" not in sql
    assert "OFFSET" not in sql
    with django_assert_max_num_queries(8):
        web.get("/")


def test_it_shows_picked_metadata_keys_as_columns(web, api_key, post_logs):
    post_logs([chat("alice", metadata={"feature": "search", "tier": 5})], key=api_key)
    body = web.get("/?cols=feature,tier").content.decode()
    assert '<th class="meta-col">feature</th>' in body
    assert '<td class="meta-col">search</td>' in body
    assert '<td class="meta-col">5</td>' in body


def test_it_keeps_the_filter_in_pager_and_export_links(web, api_key, post_logs, monkeypatch):
    monkeypatch.setattr(keyset, "PAGE_SIZE", 1)
    post_logs(
        [chat("a", metadata={"feature": "x"}), chat("b", metadata={"feature": "x"})], key=api_key
    )
    body = web.get("/?metadata=feature%3Dx&since=1h").content.decode()
    older = re.search(r'href="([^"]+)" class="button" rel="next"', body).group(1)
    assert "metadata=feature%3Dx" in older and "since=1h" in older
    export = re.search(r'href="(/export\.csv\?[^"]+)"', body).group(1)
    assert "metadata=feature%3Dx" in export and "since=1h" in export


def test_it_suggests_recently_seen_metadata_keys(web, api_key, post_logs, other_api_key):
    post_logs(
        [chat("alice", metadata={"feature": "x", "feedback_score": 1, "tier": "p"})], key=api_key
    )
    post_logs([chat("zed", metadata={"feature_secret": "x"})], key=other_api_key)
    response = web.get("/metadata-keys/?metadata=fea")
    body = response.content.decode()
    assert '<option value="feature=">' in body
    assert '<option value="feedback_score=">' not in body
    assert "feature_secret" not in body
    assert '<option value="tier">' in web.get("/metadata-keys/?cols=feature,ti").content.decode()
    page = web.get("/").content.decode()
    assert '<datalist id="metadata-keys">' in page and '<option value="tier">' in page
