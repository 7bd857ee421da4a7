"""Exports of the current filter, streamed, as CSV or JSONL."""

import json

import pytest

from tests.web.conftest import chat

pytestmark = pytest.mark.django_db


def content(response):
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_it_exports_the_current_filter_as_jsonl(web, api_key, post_logs):
    post_logs(
        [chat("alice", metadata={"feature": "x"}), chat("bob", metadata={"feature": "y"})],
        key=api_key,
    )
    response = web.get("/export.jsonl?metadata=feature%3Dx&since=1h")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert "attachment" in response["Content-Disposition"]
    rows = [json.loads(line) for line in content(response).splitlines()]
    assert [r["user"] for r in rows] == ["alice"]
    assert rows[0]["metadata"]["feature"] == "x"


def test_it_exports_csv_with_a_header(web, api_key, post_logs):
    post_logs([chat("alice"), chat("bob")], key=api_key)
    lines = content(web.get("/export.csv")).strip().splitlines()
    assert lines[0].startswith("id,created_at,trace_id")
    assert len(lines) == 3


def test_it_refuses_an_invalid_filter_with_a_message(web):
    response = web.get("/export.csv?status=999")
    assert response.status_code == 400
    assert b"is not an HTTP status code" in response.content


def test_it_needs_a_login(client):
    assert client.get("/export.csv").status_code == 302
