"""Lone surrogates (`"\\ud800"` in JSON): valid JSON escapes, but not text any encoder writes.

The policy, at the edge: every lone surrogate a client sends, in a body or the metadata
header, is stored as U+FFFD. Whatever was accepted then reads back on every surface.
"""

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from logstore.models import Feedback, Log

pytestmark = pytest.mark.django_db

LONE = '"x\\ud800y\\udfff"'  # as the client sends it, escaped in the JSON text
REPLACED = "x\ufffdy\ufffd"


def lone(value) -> str:
    """`value` as JSON text, with every string "L" sent as LONE."""
    return json.dumps(value).replace('"L"', LONE)


def post_raw(api, url, text, method="post", **headers):
    return getattr(api, method)(url, data=text.encode(), content_type="application/json", **headers)


@pytest.fixture
def member(workspace):
    user = get_user_model().objects.create_user("reader", password="pw")
    workspace.members.add(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lone_log(api):
    body = lone(
        {
            "request": {"body": {"messages": [{"role": "user", "content": "L"}]}},
            "response": {},
            "metadata": {"note": "L", "L": "key"},
            "trace_id": "L",
        }
    )
    response = post_raw(api, "/v1/logs", body)
    assert response.status_code == 200, response.content
    return response.json()["log_ids"][0]


def test_it_stores_lone_surrogates_as_replacement_characters(lone_log):
    log = Log.objects.get(pk=lone_log)
    assert log.metadata == {"note": REPLACED, REPLACED: "key"}
    assert log.trace_id == REPLACED
    assert log.request["body"]["messages"][0]["content"] == REPLACED


def test_the_api_reads_a_log_that_had_lone_surrogates(api, lone_log):
    detail = api.get(f"/v1/logs/{lone_log}")
    assert detail.status_code == 200
    assert detail.json()["metadata"]["note"] == REPLACED
    listing = api.get("/v1/logs")
    assert listing.status_code == 200
    assert [log["id"] for log in listing.json()["results"]] == [lone_log]


def test_the_web_and_admin_read_a_log_that_had_lone_surrogates(member, superuser_client, lone_log):
    assert member.get(f"/log/{lone_log}/").status_code == 200
    assert member.get("/").status_code == 200
    assert member.get(f"/traces/{REPLACED}/").status_code == 200
    assert superuser_client.get(f"/admin/logstore/log/{lone_log}/change/").status_code == 200
    assert superuser_client.get("/admin/logstore/log/").status_code == 200


def test_exports_read_a_log_that_had_lone_surrogates(member, superuser_client, lone_log):
    jsonl = b"".join(member.get("/export.jsonl").streaming_content).decode()
    assert json.loads(jsonl)["metadata"]["note"] == REPLACED
    table = b"".join(member.get("/export.csv").streaming_content).decode()
    assert [row["id"] for row in csv.DictReader(io.StringIO(table))] == [lone_log]
    action = superuser_client.post(
        "/admin/logstore/log/", {"action": "export_jsonl", "_selected_action": [lone_log]}
    )
    assert json.loads(b"".join(action.streaming_content))["trace_id"] == REPLACED


@pytest.mark.django_db(transaction=True)  # the job is queued on commit
def test_an_export_job_reads_a_log_that_had_lone_surrogates(api, lone_log, immediate_tasks):
    export = post_raw(api, "/v1/logs/exports", '{"filters": {}}').json()["id"]
    assert api.post(f"/v1/logs/exports/{export}/start").status_code == 200
    url = api.get(f"/v1/logs/exports/{export}/download").json()["url"]
    line = b"".join(api.get(url).streaming_content)
    assert json.loads(line)["metadata"]["note"] == REPLACED


def test_a_row_stored_with_a_lone_surrogate_still_reads(api, member, workspace):
    # Rows written before the policy hold the escape in their JSON text.
    now = timezone.now()
    log = Log.objects.create(
        workspace=workspace,
        created_at=now,
        received_at=now,
        request={},
        response={},
        metadata={"note": "x\ud800"},
    )
    assert api.get(f"/v1/logs/{log.pk}").json()["metadata"]["note"] == "x\ufffd"
    assert api.get("/v1/logs").status_code == 200
    assert member.get(f"/log/{log.pk}/").status_code == 200


def test_the_metadata_header_with_lone_surrogates_is_stored_replaced(api):
    response = post_raw(
        api,
        "/v1/logs",
        '{"request": {}, "response": {}}',
        HTTP_X_PORTKEY_METADATA=lone({"n": "L"}),
    )
    assert response.status_code == 200
    log = Log.objects.get(pk=response.json()["log_ids"][0])
    assert log.metadata == {"n": REPLACED}
    assert api.get(f"/v1/logs/{log.pk}").status_code == 200


def test_feedback_with_lone_surrogates_is_stored_replaced_and_its_trace_reads(api, lone_log):
    created = post_raw(
        api,
        "/v1/feedback",
        lone({"trace_id": "L", "value": 1, "metadata": {"why": "L"}}),
    )
    assert created.status_code == 200, created.content
    feedback = Feedback.objects.get()
    assert feedback.trace_id == REPLACED and feedback.metadata == {"why": REPLACED}
    updated = post_raw(
        api, f"/v1/feedback/{feedback.pk}", lone({"metadata": {"again": "L"}}), method="put"
    )
    assert updated.status_code == 200, updated.content
    feedback.refresh_from_db()
    assert feedback.metadata == {"again": REPLACED}
    detail = api.get(f"/v1/logs/{lone_log}")
    assert detail.status_code == 200
    assert detail.json()["feedback"]["items"][0]["metadata"] == {"again": REPLACED}


def test_export_filters_with_lone_surrogates_are_read_replaced(api):
    for filters in ({"trace_id": "L"}, {"metadata": {"note": "L"}}, {"metadata": {"L": "v"}}):
        response = post_raw(api, "/v1/logs/exports", lone({"filters": filters}))
        assert response.status_code == 200, (filters, response.content)
