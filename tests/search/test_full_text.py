"""Full-text search (`q=`) over prompts and responses, on every surface, in every language."""

import json
import re

import pytest
from django.db import connection
from django.db.models import Q

from logstore.exports.portkey_filters import filters_to_params
from tests.plans import rows_read
from tests.search.conftest import said

pytestmark = pytest.mark.django_db


def users_in(response):
    return re.findall(r'<td><a href="\?user=([^&"]+)&amp;', response.content.decode())


@pytest.fixture
def stored(api_key, post_logs):
    return post_logs(
        [
            said("How do I reset my password?", "Open Settings, then Security.", user="ana"),
            said("Wie spät ist es in Zürich?", "Es ist MITTAG in Zürich.", user="bea"),
            said("东京的天气怎么样？", "东京今天下雨。", user="chen"),
            said("Tell me a joke", "Why did the chicken cross the road?", user="dan"),
            said("password rotation policy", "Rotate every 90 days.", user="old", minutes_ago=3000),
        ],
    )


def test_it_finds_logs_by_words_in_the_prompt_or_the_response(web, stored):
    assert sorted(users_in(web.get("/?q=password"))) == ["ana"]
    assert users_in(web.get("/?q=chicken+cross")) == ["dan"]


def test_it_matches_regardless_of_case_and_in_any_language(web, stored):
    assert users_in(web.get("/?q=PASSWORD")) == ["ana"]
    assert users_in(web.get("/?q=mittag+in+z%C3%BCrich")) == ["bea"]  # "MITTAG in Zürich"
    assert users_in(web.get("/?q=ZÜRICH")) == ["bea"]
    assert users_in(web.get("/?q=天气")) == ["chen"]  # two characters: below a trigram
    assert users_in(web.get("/?q=今天下雨")) == ["chen"]


def test_a_short_term_searches_a_bounded_number_of_the_newest_logs(
    web, api_key, post_logs, monkeypatch
):
    from logstore.query import search

    monkeypatch.setattr(search, "SHORT_TERM_ROWS", 2)
    post_logs([said("天气", "晴", user="older", minutes_ago=3)])
    post_logs([said("other", "x", user=f"new{i}", minutes_ago=1) for i in range(2)])
    response = web.get("/?q=天气")
    assert users_in(response) == []
    assert "look only at the newest" in response.content.decode()
    monkeypatch.setattr(search, "SHORT_TERM_ROWS", 3)
    assert users_in(web.get("/?q=天气")) == ["older"]


def test_it_searches_only_inside_the_time_window(web, stored):
    assert users_in(web.get("/?q=password")) == ["ana"]
    assert sorted(users_in(web.get("/?q=password&since=7d"))) == ["ana", "old"]


def test_it_treats_like_wildcards_and_quotes_as_text(web, api_key, post_logs):
    post_logs([said("100% sure", "ok", user="pct"), said('say "hi"', "ok", user="quote")])
    post_logs([said("1000 sure", "ok", user="digits")])
    assert users_in(web.get("/?q=100%25+sure")) == ["pct"]
    assert users_in(web.get('/?q="hi"')) == ["quote"]
    assert users_in(web.get("/?q=_")) == []


def test_it_searches_through_the_read_api(api, stored):
    response = api.get("/v1/logs?q=security")
    assert response.status_code == 200
    assert [log["user"] for log in response.json()["results"]] == ["ana"]


def test_it_searches_in_web_exports_and_export_jobs(web, stored):
    body = b"".join(web.get("/export.jsonl?q=joke").streaming_content).decode()
    assert [json.loads(line)["user"] for line in body.splitlines()] == ["dan"]
    assert filters_to_params({"q": "joke"}) == {"q": "joke"}


def test_it_searches_from_the_admin_search_box(superuser_web, stored):
    response = superuser_web.get("/admin/logstore/log/?q=rotation&since=7d")
    assert [log.user for log in response.context["cl"].result_list] == ["old"]
    exact = superuser_web.get("/admin/logstore/log/?q=user:ana")
    assert [log.user for log in exact.context["cl"].result_list] == ["ana"]


def test_it_marks_matches_on_the_log_page_escaped(web, api_key, post_logs):
    (log_id,) = post_logs([said("<b>bold</b> claims about Zürich", "fine")])
    body = web.get(f"/log/{log_id}/?q=z%C3%BCrich").content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; claims about <mark>Zürich</mark>" in body
    assert "<b>bold</b>" not in body
    listing = web.get("/?q=zürich").content.decode()
    assert f"/log/{log_id}/?q=z%C3%BCrich" in listing
    assert "<mark>Zürich</mark>" in listing  # in the preview column


def test_it_does_not_index_content_a_client_asked_not_to_store(web, api, workspace):
    body = said("secret plans", "more secrets")
    response = api.post(
        "/v1/logs",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_X_PORTKEY_DEBUG="false",
    )
    assert response.status_code == 200
    assert users_in(web.get("/?q=secret")) == []


@pytest.mark.postgres
def test_postgres_serves_search_from_the_trigram_index(stored):
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")  # the time index would do on tiny tables
        cursor.execute(
            "EXPLAIN SELECT id FROM logstore_log WHERE search_text LIKE %s", ["%password%"]
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_text_idx" in plan and "Seq Scan" not in plan, plan


@pytest.mark.postgres
def test_a_short_term_reads_the_text_of_the_newest_rows_only(stored):
    """The text test sits above the LIMIT: however the window's rows are estimated, no more
    than SHORT_TERM_ROWS of them have their text read."""
    from logstore.models import Log
    from logstore.query.search import search_q

    within = Q(workspace_id__in=[log.workspace_id for log in Log.objects.all()])
    plan = Log.objects.filter(within & search_q(within, "天气")).explain()
    reading_text = [line for line in plan.splitlines() if "strpos" in line]
    # One filter on the text, on the rows the LIMITed subquery returned, and nowhere else.
    assert len(reading_text) == 1, plan
    scan, _, below = plan.partition("Subquery Scan on newest")
    assert below and reading_text[0] in below.split("->")[0], plan
    assert "Limit" in below, plan


@pytest.mark.postgres
def test_a_short_term_reads_no_more_of_the_window_than_its_newest_rows_however_they_are_joined(
    api_key, post_logs, monkeypatch
):
    """The matches are among the newest SHORT_TERM_ROWS rows, and so is every row the page
    reads: even joined the way the planner joins them when its estimates are missing (a
    nested loop walking the window newest first), it stops at their oldest."""
    from logstore.models import Log
    from logstore.query import search

    post_logs([said(f"question {i}", "answer", minutes_ago=1 + i) for i in range(300)])
    monkeypatch.setattr(search, "SHORT_TERM_ROWS", 20)
    within = Q(workspace_id__in=[api_key.workspace_id])
    page = Log.objects.filter(within & search.search_q(within, "zq"))
    page = page.order_by("-created_at", "-id")[:51]
    with connection.cursor() as cursor:
        for setting in ("enable_hashjoin", "enable_hashagg", "enable_mergejoin", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        plan = json.loads(page.explain(format="json", analyze=True))
    assert "Nested Loop" in json.dumps(plan), plan  # the join the test is about
    assert rows_read(plan) <= 3 * (20 + 1) < 300, plan
