"""Cost in the read API, its filters, the OpenAPI document and the web exports."""

import csv
import io
import json

import pytest

from tests.payloads import openai_chat

pytestmark = pytest.mark.django_db


def test_the_read_api_shows_cost_and_filters_by_it(api, post_logs):
    mini, big, unknown = post_logs(
        openai_chat(model="gpt-4o-mini"),
        openai_chat(model="gpt-4o"),
        openai_chat(model="mystery-model"),
    )
    logs = {row["id"]: row for row in api.get("/v1/logs").json()["results"]}
    assert logs[mini]["cost"] == 0.00000315
    assert logs[mini]["price_source"] == "bundled"
    assert logs[mini]["price_ref"].startswith("genai-prices ")
    assert logs[mini]["metrics"]["cost"] == 0.00000315
    assert (logs[unknown]["cost"], logs[unknown]["price_source"]) == (None, "none")
    costly = api.get("/v1/logs?cost_min=0.00001").json()["results"]
    assert [row["id"] for row in costly] == [big]
    cheap = api.get("/v1/logs?cost_max=0.00001").json()["results"]
    assert [row["id"] for row in cheap] == [mini]
    unpriced = api.get("/v1/logs?priced=false").json()["results"]
    assert [row["id"] for row in unpriced] == [unknown]
    refused = api.get("/v1/logs?cost_min=cheap")
    assert refused.status_code == 400
    assert "cost_min" in refused.json()["error"]["message"]


def test_the_openapi_document_describes_cost(client):
    document = client.get("/openapi.json").json()
    summary = document["components"]["schemas"]["LogSummary"]["properties"]
    assert {"cost", "cost_currency", "price_source", "price_ref", "cached_tokens"} <= set(summary)
    sources = document["components"]["schemas"]["PriceSourceEnum"]["enum"]
    assert sources == ["client", "override", "bundled", "none"]
    parameters = {p["name"] for p in document["paths"]["/logs"]["get"]["parameters"]}
    assert {"cost_min", "cost_max", "priced"} <= parameters


def test_web_exports_carry_the_cost_exactly(post_logs, api_key, client):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("ops")
    api_key.workspace.members.add(user)
    client.force_login(user)
    post_logs(openai_chat(model="gpt-4o-mini"), openai_chat(model="mystery-model"))

    text = b"".join(client.get("/export.csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["model"], r["cost"], r["price_source"]) for r in rows] == [
        ("mystery-model", "", "none"),
        ("gpt-4o-mini", "0.00000315", "bundled"),
    ]
    lines = b"".join(client.get("/export.jsonl").streaming_content).decode().splitlines()
    assert [json.loads(line)["cost"] for line in lines] == [None, 0.00000315]
