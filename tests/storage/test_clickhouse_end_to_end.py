"""End to end on ClickHouse: the official Python SDK stores a log through a live server, and
every surface shows it: web list, log and trace pages, charts, the users page, admin, JSONL
export, read API."""

import json

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client
from portkey_ai import Portkey

from tests.payloads import openai_chat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator(workspace):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_a_log_sent_by_the_sdk_shows_on_every_surface(
    clickhouse, live_server, api_key, workspace, operator
):
    portkey = Portkey(api_key=api_key.raw, base_url=live_server.url, trace_id="trace-e2e")
    body = openai_chat("sdk-user", feature="search")
    result = portkey.logs.create(
        request=body["request"], response=body["response"], metadata=body["metadata"]
    )
    assert result.status_code == 200
    [log_id] = result.json()["log_ids"]
    stored = clickhouse.get(log_id)
    assert stored.user == "sdk-user" and stored.trace_id == "trace-e2e"

    listing = operator.get("/", {"workspace": "acme"}).content.decode()
    assert "sdk-user" in listing and log_id in listing
    assert "Hello" in operator.get(f"/log/{log_id}/").content.decode()
    trace = operator.get("/traces/trace-e2e/", {"workspace": "acme"})
    assert trace.status_code == 200 and log_id in trace.content.decode()
    charts = operator.get("/charts/", {"since": "1h", "by": "model"}).content.decode()
    assert "gpt-4o-mini" in charts
    users = operator.get("/users/", {"since": "1h"}).content.decode()
    assert ">sdk-user<" in users
    by_feature = operator.get("/users/", {"since": "1h", "by_key": "feature"}).content.decode()
    assert ">search<" in by_feature

    changelist = operator.get("/admin/logstore/log/", {"q": "trace-e2e"}).content.decode()
    assert log_id in changelist and "sdk-user" in changelist
    detail = operator.get(f"/admin/logstore/log/{log_id}/change/").content.decode()
    assert "search" in detail and "sdk-user" in detail

    export = operator.get("/export.jsonl", {"since": "1h"})
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [log_id]

    listed = requests.get(
        f"{live_server.url}/logs", headers={"x-portkey-api-key": api_key.raw}, timeout=10
    ).json()
    assert [log["id"] for log in listed["results"]] == [log_id]
