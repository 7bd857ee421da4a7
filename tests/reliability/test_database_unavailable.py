"""When the database is away the API answers 503 JSON with Retry-After, stores no part of a
batch, and recovers by itself once the database is back."""

from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import OperationalError, connection, connections

from logstore.models import IdempotencyRecord, Log
from tests.payloads import openai_chat
from tests.posting import post_json
from tests.reliability.conftest import assert_json_error

pytestmark = pytest.mark.django_db


@contextmanager
def database_refusing_queries():
    """Every new cursor fails as a lost server makes it fail, on either database."""
    error = connection.Database.OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(connection, "create_cursor", side_effect=error):
        yield


def assert_unavailable(response):
    body = assert_json_error(response, 503)
    assert body["error"]["type"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0


def test_it_answers_503_json_when_the_database_is_unreachable_and_then_recovers(api):
    with database_refusing_queries():
        assert_unavailable(post_json(api, openai_chat()))
        assert_unavailable(post_json(api, [openai_chat(), openai_chat()]))
        assert_unavailable(api.get("/v1/logs/00000000-0000-0000-0000-000000000000"))
    response = post_json(api, openai_chat())
    assert response.status_code == 200, response.content
    assert Log.objects.count() == 1


def test_a_batch_that_loses_the_database_midway_stores_nothing(api):
    lost = OperationalError("terminating connection due to administrator command")
    with mock.patch("logstore.ingestion.store.remember_metadata_keys", side_effect=lost):
        response = post_json(
            api, [openai_chat(), openai_chat(), openai_chat()], HTTP_IDEMPOTENCY_KEY="batch-1"
        )
    assert_unavailable(response)
    assert Log.objects.count() == 0
    assert not IdempotencyRecord.objects.exists()
    retry = post_json(
        api, [openai_chat(), openai_chat(), openai_chat()], HTTP_IDEMPOTENCY_KEY="batch-1"
    )
    assert retry.status_code == 200
    assert Log.objects.count() == 3


def test_a_driver_error_that_django_did_not_wrap_is_a_503_too(api):
    """The COPY fast path uses psycopg's own cursor: a restart mid-COPY raises psycopg's
    AdminShutdown, not Django's OperationalError (seen in the load test as a 500)."""
    shutdown = connection.Database.OperationalError(
        "terminating connection due to administrator command"
    )
    with mock.patch("logstore.storage.orm.write_logs", side_effect=shutdown):
        assert_unavailable(post_json(api, [openai_chat(), openai_chat()]))
    assert Log.objects.count() == 0


def test_readyz_answers_503_json_when_the_database_is_unreachable(client):
    with database_refusing_queries():
        response = client.get("/readyz")
        assert_unavailable(response)
        assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}


def test_an_admin_page_answers_503_not_an_error_page(admin_client):
    with database_refusing_queries():
        response = admin_client.get("/admin/logstore/rejectedrequest/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert b"unavailable" in response.content


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_answers_503_when_the_pool_cannot_get_a_connection(api):
    """The error is raised while acquiring a pooled connection, before the view's first query."""
    from psycopg_pool import ConnectionPool

    if not connection.settings_dict["OPTIONS"].get("pool"):
        pytest.skip("DB_POOL is off")
    pools = type(connections[connection.alias])._connection_pools
    real_pool = pools[connection.alias]
    # Port 8119 is reserved for this suite and nothing listens on it.
    dead_pool = ConnectionPool(
        "host=127.0.0.1 port=8119 user=postgres dbname=none connect_timeout=1",
        min_size=0,
        max_size=1,
        timeout=1,
        open=False,
    )
    connection.close()
    pools[connection.alias] = dead_pool
    try:
        assert_unavailable(post_json(api, openai_chat()))
    finally:
        connection.close()
        pools[connection.alias] = real_pool
        dead_pool.close()
    response = post_json(api, openai_chat())
    assert response.status_code == 200, response.content


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_by_the_server_is_a_503_and_the_next_request_recovers(api):
    import psycopg
    from django.db import close_old_connections

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [(pid,)] = cursor.fetchall()
    params = connection.get_connection_params()
    params.pop("pool", None)
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert_unavailable(post_json(api, openai_chat()))
    # What Django does between two requests in a real server (the test client skips it).
    close_old_connections()
    response = post_json(api, openai_chat())
    assert response.status_code == 200, response.content
    assert Log.objects.count() == 1


def test_a_request_that_finds_the_database_away_tries_it_only_once(api):
    # Each try waits out the pool's timeout (DB_POOL_TIMEOUT) while the server is down, so a
    # key re-check or a usage row after the first failure would only delay the 503.
    assert post_json(api, openai_chat()).status_code == 200  # the key is now cached
    error = connection.Database.OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(connection, "create_cursor", side_effect=error) as cursor:
        assert_unavailable(post_json(api, openai_chat()))
    assert cursor.call_count == 1
