"""Fixtures for the export, feedback, read and OpenAPI tests."""

import pytest
from portkey_ai import Portkey

from tests.payloads import openai_chat

IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def immediate_tasks(settings):
    """Export jobs run inside the request that starts them (the worker has its own test)."""
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture
def seed(post_logs):
    """Logs for users u0..u{n-1}, all with trace ids t0..t{n-1}."""

    def make(count, **metadata):
        bodies = [{**openai_chat(f"u{i}", **metadata), "trace_id": f"t{i}"} for i in range(count)]
        return post_logs(*bodies)

    return make


@pytest.fixture
def portkey_for(live_server):
    clients = []

    def make(key):
        client = Portkey(api_key=key.raw, base_url=f"{live_server.url}/v1")
        clients.append(client)
        return client

    yield make
    # A kept-alive connection would hold a server thread on the shared SQLite connection
    # past the end of the test.
    for client in clients:
        client.close()


@pytest.fixture
def portkey(portkey_for, api_key):
    return portkey_for(api_key)
