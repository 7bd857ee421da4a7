"""Shared fixtures. The suite runs on whichever database DATABASE_URL names (SQLite default)."""

import pytest
from django.db import connection
from django.test.utils import override_settings
from rest_framework.test import APIClient

from logstore.models import ApiKey, Workspace
from tests.posting import post_json


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("postgresql"):
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: run with DATABASE_URL=postgres://... (see README)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def fast_password_hasher():
    """PBKDF2 is slow by design; every signed-in test would pay for it. Tests need no strength."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def forget_seen_metadata_keys(monkeypatch):
    """Ingest remembers, per process, the metadata keys it stored; ids repeat across tests."""
    from logstore.ingestion import store as ingestion

    monkeypatch.setattr(ingestion, "_seen_keys", set())


@pytest.fixture(autouse=True)
def forget_rate_limit_leases():
    """Each process keeps what it claimed of a key's rate-limit window; tests start afresh."""
    from logstore.apikeys.ratelimit import leases

    leases.clear()


@pytest.fixture(autouse=True)
def forget_cached_prices():
    """Price overrides are cached per process; a rolled-back test's prices must not leak."""
    from logstore.pricing import overrides

    overrides.forget()
    yield
    overrides.forget()


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def workspace(db):
    return Workspace.objects.create(name="Acme", slug="acme")


@pytest.fixture
def other_workspace(db):
    return Workspace.objects.create(name="Globex", slug="globex")


@pytest.fixture
def api_key(workspace):
    key, raw = ApiKey.generate(workspace, "test key")
    key.raw = raw
    return key


@pytest.fixture
def other_api_key(other_workspace):
    key, raw = ApiKey.generate(other_workspace, "other key")
    key.raw = raw
    return key


@pytest.fixture
def api(api_key):
    """An API client authenticated with a key that has every scope."""
    client = APIClient()
    client.credentials(HTTP_X_PORTKEY_API_KEY=api_key.raw)
    return client


@pytest.fixture
def make_api(db):
    def make(key):
        client = APIClient()
        client.credentials(HTTP_X_PORTKEY_API_KEY=key.raw)
        return client

    return make


@pytest.fixture
def post_logs(api, make_api):
    """Store logs through the real API; returns their ids.

    `post_logs(log)`, `post_logs([log, ...])` or `post_logs(log, log, ...)` (sent as one batch),
    with the `api` fixture's key unless `key=` names another.
    """

    def post(*bodies, key=None):
        client = make_api(key) if key is not None else api
        body = bodies[0] if len(bodies) == 1 else list(bodies)
        response = post_json(client, body)
        assert response.status_code == 200, response.content
        return response.json()["log_ids"]

    return post


@pytest.fixture(scope="session")
def chdb_url(tmp_path_factory):
    """One chDB data directory for the whole run: chDB allows one engine per process."""
    return f"chdb://{tmp_path_factory.mktemp('chdb')}?database=logstore_test"


@pytest.fixture
def clickhouse(settings, db, chdb_url):
    """Logs live in ClickHouse (in-process chDB) for this test, starting from an empty table."""
    from logstore.storage import get_store

    settings.CLICKHOUSE_URL = chdb_url
    store = get_store()
    store.migrate()
    store.connection.command(f"TRUNCATE TABLE {store.layout.logs}")
    return store


@pytest.fixture(params=["orm", "clickhouse"])
def log_store(request, db):
    """Each log backend in turn: the Django database under test, then ClickHouse via chDB."""
    from logstore.storage import get_store

    if request.param == "clickhouse":
        return request.getfixturevalue("clickhouse")
    return get_store()
