"""Fixtures for the reliability suite."""

from types import SimpleNamespace

import pytest

from logstore.models import ApiKey
from tests.reliability.gunicorn_server import Server


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


@pytest.fixture
def server(tmp_path):
    """Starts a real gunicorn (`server(workers=2, LOGSTORE_RATE_LIMIT="off")`), stopped after."""
    servers = []

    def start(**options):
        servers.append(Server(tmp_path, **options))
        return servers[-1]

    yield start
    for running in servers:
        running.stop()


@pytest.fixture
def key(workspace):
    """An API key with its secret at hand as `.raw`."""
    api_key, raw = ApiKey.generate(workspace, "served")
    api_key.raw = raw
    return api_key
