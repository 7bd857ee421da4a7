"""Admin actions that stream the selected logs out as JSONL or CSV."""

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse

from tests.admin.conftest import CHANGELIST

pytestmark = pytest.mark.django_db


def run_action(client, action, logs):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(log.pk) for log in logs]},
    )


def content(response):
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def test_it_exports_the_selection_as_jsonl_with_bodies(superuser_client, make_log):
    first = make_log(user="a", request={"body": {"prompt": "hi"}})
    second = make_log(user="b")
    make_log(user="not-selected")
    response = run_action(superuser_client, "export_jsonl", [first, second])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert 'filename="logs.jsonl"' in response["Content-Disposition"]
    rows = [json.loads(line) for line in content(response).splitlines()]
    assert [row["user"] for row in rows] == ["a", "b"]
    assert rows[0]["request"] == {"body": {"prompt": "hi"}}
    assert rows[0]["workspace"] == "acme"


def test_it_exports_the_selection_as_csv(superuser_client, make_log):
    log = make_log(user="=HYPERLINK()")
    response = run_action(superuser_client, "export_csv", [log])
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(content(response))))
    assert len(rows) == 1
    assert rows[0]["id"] == str(log.pk)
    assert rows[0]["user"] == "'=HYPERLINK()"


def test_staff_cannot_export_another_workspaces_logs(staff_client, make_log, other_workspace):
    mine = make_log(user="mine")
    theirs = make_log(ws=other_workspace, user="theirs")
    response = run_action(staff_client, "export_jsonl", [mine, theirs])
    rows = [json.loads(line) for line in content(response).splitlines()]
    assert [row["user"] for row in rows] == ["mine"]
