"""Streaming exports: every row once, in order, in either format."""

import csv
import io
import json

import pytest

from logstore.exports.writers import csv_chunks, iter_logs, jsonl_chunks
from logstore.models import Log
from logstore.storage.port import LogCriteria
from tests.payloads import openai_chat

pytestmark = pytest.mark.django_db
EVERYTHING = LogCriteria(workspace_ids=None)


@pytest.fixture
def logs(api):
    body = [openai_chat(f"u{i}") for i in range(7)]
    body[3]["metadata"]["_user"] = '=HYPERLINK("http://evil")'
    response = api.post("/v1/logs", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    return response.json()["log_ids"]


def test_keyset_iteration_visits_every_log_once_newest_first(logs):
    seen = [log.id for log in iter_logs(EVERYTHING, chunk_size=2)]
    expected = list(Log.objects.order_by("-created_at", "-id").values_list("id", flat=True))
    assert seen == expected
    assert len(seen) == 7


def test_iteration_stops_at_the_limit(logs):
    assert len(list(iter_logs(EVERYTHING, chunk_size=2, limit=5))) == 5


def test_jsonl_has_one_parseable_line_per_log(logs):
    lines = "".join(jsonl_chunks(EVERYTHING)).splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(logs)


def test_csv_neutralises_formula_cells(logs):
    rows = list(csv.DictReader(io.StringIO("".join(csv_chunks(EVERYTHING)))))
    assert len(rows) == 7
    assert any(r["user"].startswith("'=HYPERLINK") for r in rows)
    assert json.loads(rows[0]["request"])["body"]["model"] == "gpt-4o-mini"


@pytest.mark.parametrize("formula", ["＝HYPERLINK(1)", "＋1", "－1", "＠SUM(1)", "﹦1"])
def test_csv_neutralises_fullwidth_formula_cells(api, formula):
    body = openai_chat(formula)
    response = api.post("/v1/logs", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    [row] = csv.DictReader(io.StringIO("".join(csv_chunks(EVERYTHING))))
    assert row["user"] == "'" + formula
