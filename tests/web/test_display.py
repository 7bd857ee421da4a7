"""How stored values are shown: ids that tell traces apart, one time format, JSON not repr."""

import json
import re

import pytest

from logstore.core.ids import uuid7
from logstore.models import ApiKey
from logstore.templatetags.logstore_ui import format_time
from tests.web.conftest import chat

pytestmark = pytest.mark.django_db

TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC"


def test_generated_trace_ids_stay_distinguishable_in_the_list(web, api_key, post_logs):
    # Two ids of one millisecond share what `truncatechars:18` used to show.
    pairs = ((str(uuid7()), str(uuid7())) for _ in range(10_000))
    first, second = next((a, b) for a, b in pairs if a[:17] == b[:17])
    post_logs([chat("a", trace_id=first), chat("b", trace_id=second)])
    body = web.get("/").content.decode()
    shown = re.findall(r'class="mono" title="([^"]+)">([^<]+)</a>', body)
    labels = {title: label for title, label in shown}
    assert labels[first] != labels[second]
    assert labels[first].strip("…") in first and labels[second].strip("…") in second


def test_feedback_shows_its_metadata_as_json_and_its_time_in_the_one_format(
    web, api, api_key, post_logs
):
    post_logs([chat("alice", trace_id="trace-fb")])
    response = api.post(
        "/v1/feedback",
        data=json.dumps({"trace_id": "trace-fb", "value": 1, "metadata": {"source": "thumbs"}}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = web.get("/traces/trace-fb/").content.decode()
    assert "{&quot;source&quot;: &quot;thumbs&quot;}" in body
    assert "{&#x27;source&#x27;" not in body
    feedback = body[body.index('<section class="feedback">') :]
    assert re.search(rf'<td class="time">{TIME}</td>', feedback)


def test_every_page_and_the_admin_show_times_one_way(web, api_key, post_logs, client_for, db):
    from django.contrib.auth import get_user_model

    (log_id,) = post_logs([chat("alice", trace_id="trace-time")])
    pages = [
        web.get("/").content.decode(),
        web.get(f"/log/{log_id}/").content.decode(),
        web.get("/traces/trace-time/").content.decode(),
    ]
    root = get_user_model().objects.create_superuser("root", password="a-long-password")
    admin = client_for(root)
    pages.append(admin.get("/admin/logstore/log/").content.decode())
    pages.append(admin.get(f"/admin/logstore/log/{log_id}/change/").content.decode())
    for page in pages:
        assert re.search(TIME, page)
    assert format_time("2026-01-31T23:59:59.5Z") == "2026-01-31 23:59:59.500 UTC"


def test_empty_charts_draw_no_error_rate_and_say_nothing_of_a_top_zero(web):
    body = web.get("/charts/?since=24h").content.decode()
    assert "Top 0 by" not in body and "Break down by" in body
    error_chart = body[body.index('aria-label="Error rate over time"') :]
    error_chart = error_chart[: error_chart.index("</svg>")]
    assert "<circle" not in error_chart


def test_the_trace_page_lists_its_spans_in_their_own_window(web, api_key, post_logs):
    post_logs([chat("alice", trace_id="trace-old", minutes_ago=60 * 24 * 40)])
    body = web.get("/traces/trace-old/").content.decode()
    link = re.search(r'href="([^"]+)">as list</a>', body).group(1).replace("&amp;", "&")
    assert "since=30d" not in link and "start=" in link and "end=" in link
    listing = web.get(link).content.decode()
    assert "trace-old" in listing


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("logstore/favicon.svg")


def test_the_new_key_page_has_a_copy_button_no_inline_handler_and_styled_crumbs(
    client, django_user_model, workspace
):
    root = django_user_model.objects.create_superuser("root", password="a-long-password")
    client.force_login(root)
    response = client.post(
        "/admin/logstore/apikey/add/",
        {"workspace": workspace.pk, "name": "ci", "scopes": ["logs.write"]},
    )
    body = response.content.decode()
    assert ApiKey.objects.filter(name="ci").exists()
    assert "onfocus" not in body
    assert 'data-copy="new-api-key"' in body and "logstore/app.js" in body
    assert '<ol class="breadcrumbs">' in body
