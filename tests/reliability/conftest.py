"""Fixtures for the reliability suite."""

from types import SimpleNamespace

import pytest


@pytest.fixture
def frozen_clock(monkeypatch):
    """Rate-limit windows that cannot roll over in the middle of a test."""
    monkeypatch.setattr(
        "logstore.apikeys.ratelimit.time", SimpleNamespace(time=lambda: 1_800_000_010.0)
    )


def assert_json_error(response, status=None):
    """A 4xx/5xx in the API's one error shape, with a message that names something."""
    if status is not None:
        assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json", response.content
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    assert body["error"]["message"] == body["message"]
    return body
