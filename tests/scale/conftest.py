"""Fixtures for the scale tests: logs posted through POST /logs at chosen event times."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.payloads import openai_chat


def days_ago(days, hour=12):
    now = datetime.now(UTC)
    return now.replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(days=days)


@pytest.fixture
def post_logs():
    """post_logs(client, [(when, overrides), ...]) -> log ids; each log sent with createdAt."""

    def post(client, specs):
        items = []
        for when, overrides in specs:
            item = openai_chat(
                overrides.pop("user", "alice"), overrides.pop("model", "gpt-4o-mini"), **overrides
            )
            item["createdAt"] = when.isoformat()
            for key in ("trace_id", "span_id"):
                if key in item["metadata"]:
                    item[key] = item["metadata"].pop(key)
            items.append(item)
        response = client.post("/v1/logs", data=json.dumps(items), content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()["log_ids"]

    return post
