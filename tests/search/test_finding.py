"""Forgiving filters, suggestions, sorting, preview and feedback columns, live tail, span panel."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logstore.query import keyset
from tests.payloads import openai_chat
from tests.search.conftest import said
from tests.web.conftest import ago

pytestmark = pytest.mark.django_db


def chat(user, model="gpt-4o-mini", url=None, **fields):
    body = openai_chat(user, model=model, **fields.pop("metadata", {}))
    body["createdAt"] = ago(minutes=fields.pop("minutes_ago", 1))
    if url:
        body["request"]["url"] = url
    body.update(fields)
    return body


def users_in(response):
    return re.findall(r'<td><a href="\?user=([^&"]+)&amp;', response.content.decode())


def options(response):
    return re.findall(r'<option value="([^"]*)">', response.content.decode())


def test_model_user_url_and_span_name_match_case_insensitive_parts(web, api_key, post_logs):
    post_logs(
        [
            chat("Alice.Smith", model="gpt-4o", span_name="Retriever"),
            chat("bob", model="gpt-4.1", url="https://api.openai.com/v1/responses"),
            chat("carol", model="claude-3-5-sonnet"),
        ],
    )
    assert sorted(users_in(web.get("/?model_contains=GPT-4"))) == ["Alice.Smith", "bob"]
    assert users_in(web.get("/?user_contains=smith")) == ["Alice.Smith"]
    assert users_in(web.get("/?url_contains=RESPONSES")) == ["bob"]
    assert users_in(web.get("/?span_name_contains=retriev")) == ["Alice.Smith"]
    assert users_in(web.get("/?model=gpt-4")) == []  # the exact filter stays exact


def test_it_suggests_models_providers_and_users_containing_what_was_typed(
    web, api_key, post_logs, other_api_key
):
    post_logs([chat("ann", model="gpt-4o"), chat("bo", model="gpt-4.1"), chat("x", model="o3")])
    post_logs([chat("secret-user", model="gpt-4-secret")], key=other_api_key)
    assert sorted(options(web.get("/suggest/model/?model_contains=gpt-4"))) == ["gpt-4.1", "gpt-4o"]
    assert options(web.get("/suggest/provider/?provider=open")) == ["openai"]
    assert options(web.get("/suggest/user/?user_contains=AN")) == ["ann"]
    assert web.get("/suggest/request/").status_code == 404


def test_typing_a_metadata_key_and_equals_suggests_its_recent_values(web, api_key, post_logs):
    post_logs(
        [
            chat("a", metadata={"feature": "search"}),
            chat("b", metadata={"feature": "search"}),
            chat("c", metadata={"feature": "summarise"}),
            chat("d", metadata={"tier": "pro"}),
        ],
    )
    assert options(web.get("/metadata-keys/?metadata=feat")) == ["feature="]
    assert options(web.get("/metadata-keys/?metadata=feature%3D")) == [
        "feature=search",
        "feature=summarise",
    ]
    assert options(web.get("/metadata-keys/?metadata=feature%3Dsum")) == ["feature=summarise"]
    picked = web.get("/?metadata=feature%3Dsearch")
    assert sorted(users_in(picked)) == ["a", "b"]


def latency(ms, user):
    body = chat(user)
    body["response"]["response_time"] = ms
    return body


def test_it_sorts_by_latency_within_the_window_and_pages_by_keyset(
    web, api_key, post_logs, monkeypatch
):
    monkeypatch.setattr(keyset, "PAGE_SIZE", 2)
    post_logs([latency(ms, f"u{ms}") for ms in (50, 900, 300, 700, 100)])
    first = web.get("/?sort=latency")
    assert users_in(first) == ["u900", "u700"]
    body = first.content.decode()
    older = re.search(r'href="([^"]+)" class="button" rel="next"', body).group(1)
    older = older.replace("&amp;", "&")
    assert "sort=latency" in older
    with CaptureQueriesContext(connection) as queries:
        second = web.get(older)
    assert users_in(second) == ["u300", "u100"]
    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert "OFFSET" not in sql and "COUNT(" not in sql
    newer = re.search(r'href="([^"]+)" class="button" rel="prev"', second.content.decode())
    assert users_in(web.get(newer.group(1).replace("&amp;", "&"))) == ["u900", "u700"]
    assert "Sort: &#x27;price&#x27; is not one of" in web.get("/?sort=price").content.decode()


def test_it_sorts_by_tokens(web, api_key, post_logs):
    bodies = []
    for total, user in ((5, "small"), (500, "big"), (50, "mid")):
        body = chat(user)
        body["response"]["body"]["usage"]["total_tokens"] = total
        bodies.append(body)
    post_logs(bodies)
    assert users_in(web.get("/?sort=tokens")) == ["big", "mid", "small"]


def test_it_sorts_by_cost_with_unpriced_calls_last(web, api_key, post_logs):
    bodies = []
    for prompt_tokens, user in ((10, "cheap"), (10_000, "dear"), (1_000, "middling")):
        body = chat(user)
        body["response"]["body"]["usage"].update(
            prompt_tokens=prompt_tokens, completion_tokens=0, total_tokens=prompt_tokens
        )
        bodies.append(body)
    unknown = chat("unpriced")
    unknown["request"]["body"]["model"] = "a-model-nobody-prices"
    unknown["response"]["body"]["model"] = "a-model-nobody-prices"
    post_logs([*bodies, unknown])
    assert users_in(web.get("/?sort=cost")) == ["dear", "middling", "cheap", "unpriced"]


def test_the_list_previews_prompt_and_response_on_one_line(web, api_key, post_logs):
    post_logs([said("What is\nthe <capital> of France?", "Paris.")])
    body = web.get("/").content.decode()
    assert "What is the &lt;capital&gt; of France? → Paris." in body


def test_feedback_score_is_a_column_and_a_filter(web, api, api_key, post_logs):
    post_logs([chat("liked", trace_id="t-good"), chat("disliked", trace_id="t-bad")])
    for trace, value in (("t-good", 5), ("t-bad", -3)):
        api.post(
            "/v1/feedback",
            data=json.dumps({"trace_id": trace, "value": value}),
            content_type="application/json",
        )
    body = web.get("/").content.decode()
    assert "5.00</td>" in body and "-3.00</td>" in body
    assert users_in(web.get("/?feedback_min=1")) == ["liked"]
    assert 'name="feedback_min"' in body


def test_chart_breakdown_rows_link_to_the_filtered_list(web, api_key, post_logs):
    post_logs([chat("alice", model="gpt-4o"), chat("bob", model="o3")])
    body = web.get("/charts/?since=1h&by=model").content.decode()
    link = re.search(r'<a href="([^"]+)" title="Show these logs">o3</a>', body).group(1)
    link = link.replace("&amp;", "&")
    assert link.startswith("/?") and "model=o3" in link and "since=1h" in link
    assert users_in(web.get(link)) == ["bob"]


def test_live_tail_returns_only_rows_newer_than_the_newest_shown_in_one_query(
    web, api_key, post_logs
):
    post_logs([chat("old", minutes_ago=5)])
    page = web.get("/").content.decode()
    box = re.search(r'data-tail-url="([^"]+)" data-tail-cursor="([^"]+)"', page)
    tail_url, cursor = box.group(1).replace("&amp;", "&"), box.group(2)
    assert web.get(f"{tail_url}&newer_than={cursor}").content.decode().strip() == ""
    post_logs([chat("new1", minutes_ago=2), chat("new2", minutes_ago=1)])
    with CaptureQueriesContext(connection) as queries:
        response = web.get(f"{tail_url}&newer_than={cursor}")
    log_queries = [q for q in queries.captured_queries if "logstore_log" in q["sql"]]
    assert len(log_queries) == 1
    assert users_in(response) == ["new2", "new1"]
    assert response["X-Tail-Cursor"] != cursor
    assert web.get(f"{tail_url}&newer_than=nonsense").status_code == 400
    assert "data-tail-url" not in web.get("/?sort=latency").content.decode()


def test_the_trace_page_shows_a_spans_input_and_output_beside_the_waterfall(
    web, api_key, post_logs
):
    (log_id,) = post_logs([said("<i>plan</i> the trip", "Day 1: Rome", trace_id="t-panel")])
    trace = web.get("/traces/t-panel/").content.decode()
    assert f'hx-get="/log/{log_id}/panel/"' in trace and 'id="span-panel"' in trace
    panel = web.get(f"/log/{log_id}/panel/").content.decode()
    assert "&lt;i&gt;plan&lt;/i&gt; the trip" in panel and "Day 1: Rome" in panel
