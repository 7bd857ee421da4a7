"""Fixtures for the scale tests: logs posted through POST /logs at chosen event times."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.payloads import openai_chat
from tests.posting import post_json


def days_ago(days, hour=12):
    now = datetime.now(UTC)
    return now.replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(days=days)


@pytest.fixture
def post_dated_logs():
    """post_dated_logs(client, [(when, overrides), ...]) -> log ids, each sent with createdAt."""

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
        response = post_json(client, items)
        assert response.status_code == 200, response.content
        return response.json()["log_ids"]

    return post
