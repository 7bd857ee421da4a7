"""Time windows and bad filter input: explicit times win, and every mistake is named."""

import re
import runpy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.web.conftest import chat

pytestmark = pytest.mark.django_db


def users_in(response):
    return re.findall(r'<td><a href="\?user=([^&"]+)&amp;', response.content.decode())


def errors_in(response):
    body = response.content.decode()
    block = re.search(r'<div class="error" role="alert">(.*?)</div>', body, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


def local(moment):
    return f"{moment:%Y-%m-%dT%H:%M:%S}"


def test_an_explicit_from_and_to_win_over_the_range_preset(web, api_key, post_logs):
    post_logs([chat("two-days-ago", minutes_ago=60 * 48), chat("now", minutes_ago=1)])
    now = datetime.now(UTC)
    start, end = local(now - timedelta(hours=50)), local(now - timedelta(hours=46))
    response = web.get(f"/?since=24h&start={start}&end={end}")
    assert users_in(response) == ["two-days-ago"]
    body = response.content.decode()
    assert '<option value="" selected>custom</option>' in body


def test_it_accepts_epoch_seconds_as_ingest_does(web, api_key, post_logs):
    post_logs([chat("recent", minutes_ago=5)])
    start = int((datetime.now(UTC) - timedelta(hours=1)).timestamp())
    response = web.get(f"/?start={start}")
    assert errors_in(response) == []
    assert users_in(response) == ["recent"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("streaming=maybe", "Streaming: &#x27;maybe&#x27; is not true or false."),
        ("success=perhaps", "Success: &#x27;perhaps&#x27; is not true or false."),
        ("latency_min=500&latency_max=100", "Latency max: the latency maximum (100) is below"),
        ("tokens_min=9&tokens_max=1", "Tokens max: the tokens maximum (1) is below"),
        ("start=2026-01-02T00:00:00&end=2026-01-01T00:00:00", "End: must be after start"),
        ("start=yesterday", "Start: &#x27;yesterday&#x27; is not a time"),
        ("trace_id=" + "x" * 5000, "Trace id: An id is at most 256 characters"),
    ],
)
def test_it_names_what_is_wrong_with_a_filter(web, api_key, post_logs, query, message):
    post_logs([chat("someone")])
    response = web.get(f"/?{query}")
    assert response.status_code == 200
    assert any(error.startswith(message) for error in errors_in(response)), errors_in(response)
    assert users_in(response) == []


def test_the_api_answers_bad_filters_with_a_json_400(api):
    response = api.get("/v1/logs?streaming=maybe")
    assert response.status_code == 400
    assert "streaming" in response.json()["error"]["message"].lower()
    response = api.get("/v1/logs?trace_id=" + "x" * 5000)
    assert response.status_code == 400


def test_the_server_takes_request_lines_long_enough_for_django_to_answer():
    from gunicorn.config import Config

    config = Config()
    path = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    namespace = runpy.run_path(str(path))
    config.set("limit_request_line", namespace["limit_request_line"])
    assert config.limit_request_line > len("GET /?trace_id=" + "x" * 5000 + " HTTP/1.1")


def test_it_says_which_columns_it_left_out(web, api_key, post_logs):
    post_logs([chat("someone", metadata={"a": "1"})])
    names = [f"c{i}" for i in range(10)]
    body = web.get("/?cols=" + ",".join(names)).content.decode()
    assert "At most 8 metadata columns are shown; left out: c8, c9." in body
    assert body.count('<th class="meta-col">') == 8
    assert users_in(web.get("/?cols=" + ",".join(names))) == ["someone"]


def test_a_person_without_a_workspace_is_told_so(client_for, db):
    loner = get_user_model().objects.create_user("loner", password="a-long-password")
    web = client_for(loner)
    body = web.get("/").content.decode()
    assert "not a member of any workspace" in body
    assert "Try a wider range" not in body
    response = web.post("/saved-filters/", {"name": "mine", "query": "since=1h"}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Filters are saved to a workspace, and you are not in one yet."]


def test_saving_a_filter_without_a_name_names_the_field(web, workspace):
    response = web.post("/saved-filters/", {"workspace": workspace.pk, "query": ""}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Name: This field is required."]
