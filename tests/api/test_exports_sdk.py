"""Log exports through the official portkey-ai Python SDK against a live server."""

import json
import time

import httpx
import pytest
from portkey_ai.api_resources import exceptions as portkey_errors

from logstore.exports.jobs import EXPORT_FIELDS
from tests.payloads import openai_chat

pytestmark = pytest.mark.django_db(transaction=True)

POLL_SECONDS = 30


def wait_for_final_status(portkey, export_id):
    deadline = time.monotonic() + POLL_SECONDS
    while True:
        export = portkey.logs.exports.retrieve(export_id=export_id)
        if export.status not in {"draft", "in_progress"} or time.monotonic() > deadline:
            return export
        time.sleep(0.1)


def test_it_runs_an_export_from_create_to_downloaded_file(portkey, seed, immediate_tasks):
    ids = seed(5)

    created = portkey.logs.exports.create(
        filters={"ai_model": "gpt-4o-mini", "total_units_min": 1},
        requested_data=["id", "trace_id", "ai_model", "req_units", "response_status_code"],
        description="weekly",
    )
    assert created.object == "export"
    assert created.total == 5

    listed = portkey.logs.exports.list()
    assert listed.object == "list"
    assert [e["id"] for e in listed.data] == [created.id]

    retrieved = portkey.logs.exports.retrieve(export_id=created.id)
    assert retrieved.status == "draft"
    assert retrieved.description == "weekly"
    assert retrieved.requested_data[:2] == ["id", "trace_id"]

    updated = portkey.logs.exports.update(
        export_id=created.id,
        filters={"trace_id": "t1,t3,t4"},
        requested_data=["id", "trace_id", "ai_model"],
    )
    assert updated.total == 3

    started = portkey.logs.exports.start(export_id=created.id)
    assert started.object == "export"

    finished = wait_for_final_status(portkey, created.id)
    assert finished.status == "success"
    assert finished.total_records == 3

    download = portkey.logs.exports.download(export_id=created.id)
    assert download.signed_url == download.url
    response = httpx.get(download.signed_url)
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines == [
        {"id": ids[i], "trace_id": f"t{i}", "ai_model": "gpt-4o-mini"} for i in (4, 3, 1)
    ]


def test_it_writes_every_field_when_none_are_requested(portkey, seed, immediate_tasks):
    seed(1)
    created = portkey.logs.exports.create(filters={})
    portkey.logs.exports.start(export_id=created.id)
    assert wait_for_final_status(portkey, created.id).status == "success"

    (line,) = httpx.get(portkey.logs.exports.download(export_id=created.id).url).text.splitlines()
    row = json.loads(line)
    assert list(row) == list(EXPORT_FIELDS)
    assert row["ai_org"] == "openai"
    assert row["request_url"] == "https://api.openai.com/v1/chat/completions"
    assert row["response_time"] == 321
    assert row["total_units"] == 12
    assert row["request"]["body"]["model"] == "gpt-4o-mini"
    # gpt-4o-mini at $0.15/$0.60 per million tokens: 9 in, 3 out.
    assert (row["cost"], row["cost_currency"]) == (0.00000315, "USD")


def test_it_exports_only_the_logs_in_a_cost_range(portkey, post_logs, immediate_tasks):
    cheap, dear = openai_chat(model="gpt-4o-mini"), openai_chat(model="gpt-4o")
    post_logs(cheap, dear, openai_chat(model="mystery-model"))
    created = portkey.logs.exports.create(
        filters={"cost_min": 0.00001}, requested_data=["ai_model", "cost"]
    )
    portkey.logs.exports.start(export_id=created.id)
    assert wait_for_final_status(portkey, created.id).status == "success"
    text = httpx.get(portkey.logs.exports.download(export_id=created.id).url).text
    # gpt-4o: 9 × $2.50 + 3 × $10 per million tokens.
    assert [json.loads(line) for line in text.splitlines()] == [
        {"ai_model": "gpt-4o", "cost": 0.0000525}
    ]


def test_it_refuses_to_start_an_export_twice(portkey, seed, immediate_tasks):
    seed(1)
    created = portkey.logs.exports.create(filters={})
    portkey.logs.exports.start(export_id=created.id)
    with pytest.raises(portkey_errors.ConflictError, match="Only a draft export can be started"):
        portkey.logs.exports.start(export_id=created.id)


def test_it_hides_another_workspaces_export_behind_a_404(portkey, portkey_for, other_api_key, seed):
    seed(1)
    created = portkey.logs.exports.create(filters={})
    stranger = portkey_for(other_api_key)

    assert stranger.logs.exports.list().data == []
    for call in (
        lambda: stranger.logs.exports.retrieve(export_id=created.id),
        lambda: stranger.logs.exports.update(export_id=created.id, filters={}),
        lambda: stranger.logs.exports.start(export_id=created.id),
        lambda: stranger.logs.exports.cancel(export_id=created.id),
        lambda: stranger.logs.exports.download(export_id=created.id),
    ):
        with pytest.raises(portkey_errors.NotFoundError):
            call()
    assert portkey.logs.exports.retrieve(export_id=created.id).status == "draft"


def test_a_key_cannot_name_another_workspace(portkey, other_workspace):
    with pytest.raises(portkey_errors.PermissionDeniedError, match="belongs to workspace 'acme'"):
        portkey.logs.exports.create(filters={}, workspace_id=other_workspace.slug)
