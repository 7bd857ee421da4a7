"""Logs for the storage contract: made through the real ingest API, on whichever backend."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.payloads import openai_chat

NOW = datetime.now(UTC).replace(microsecond=0)


def log_body(user, *, minutes_ago=1, model="gpt-4o-mini", status=200, trace=None, **extra):
    """An OpenAI chat log; `extra` sets top-level fields (span_id...) or, prefixed `md_`,
    metadata; `latency`, `tokens`, `stream` and `prompt` set the response time, usage,
    streaming and the user's message."""
    metadata = {k.removeprefix("md_"): v for k, v in extra.items() if k.startswith("md_")}
    body = openai_chat(user, model=model, status=status, **metadata)
    if "latency" in extra:
        body["response"]["response_time"] = extra.pop("latency")
    if "tokens" in extra:
        prompt, completion = extra.pop("tokens")
        body["response"]["body"]["usage"] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
    if extra.pop("stream", False):
        body["request"]["body"]["stream"] = True
    if "url" in extra:
        body["request"]["url"] = extra.pop("url")
    if "prompt" in extra:
        body["request"]["body"]["messages"][0]["content"] = extra.pop("prompt")
    body["createdAt"] = (NOW - timedelta(minutes=minutes_ago)).isoformat()
    if trace:
        body["trace_id"] = trace
    body.update({k: v for k, v in extra.items() if not k.startswith("md_")})
    return body


@pytest.fixture
def ingest(make_api):
    """POST bodies with a key (default: the `api_key` fixture's); returns the log ids."""

    def post(key, *bodies, headers=None):
        response = make_api(key).post(
            "/v1/logs",
            data=json.dumps(list(bodies)),
            content_type="application/json",
            **(headers or {}),
        )
        assert response.status_code == 200, response.content
        return response.json()["log_ids"]

    return post
