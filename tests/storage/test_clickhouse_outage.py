"""When the ClickHouse holding the logs is away: /readyz says so, ingest answers 503 JSON with
Retry-After, and a batch that was not stored is not counted as the key's usage.

"Away" is real: a ClickHouse URL on a port where nothing listens (8119 is reserved for this
suite), so the clickhouse-connect client itself fails to connect."""

import pytest
from django.db.models import Sum

from logstore.models import UsageEvent
from tests.payloads import openai_chat
from tests.posting import post_json
from tests.reliability.conftest import assert_json_error

pytestmark = pytest.mark.django_db

UNREACHABLE = "http://127.0.0.1:8119/logstore"


@pytest.fixture
def clickhouse_away(settings):
    settings.CLICKHOUSE_URL = UNREACHABLE


def accepted_usage(api_key):
    return UsageEvent.objects.filter(api_key_id=api_key.pk).aggregate(
        logs=Sum("accepted_logs", default=0), requests=Sum("accepted_requests", default=0)
    )


def test_readyz_checks_clickhouse_when_the_logs_live_there(clickhouse, client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "database": "ok", "clickhouse": "ok"}


def test_readyz_answers_503_naming_clickhouse_when_it_cannot_be_reached(clickhouse_away, client):
    response = client.get("/readyz")
    body = assert_json_error(response, 503)
    assert body["error"]["type"] == "service_unavailable"
    assert "ClickHouse" in body["message"]
    assert body["error"]["details"] == [{"dependency": "clickhouse", "status": "unavailable"}]
    states = (body["status"], body["database"], body["clickhouse"])
    assert states == ("unavailable", "ok", "unavailable")
    assert int(response["Retry-After"]) > 0
    assert response["Cache-Control"] == "no-store"


def test_ingest_answers_503_and_counts_no_usage_when_clickhouse_is_away(
    clickhouse_away, api, api_key
):
    response = post_json(api, [openai_chat(), openai_chat()])
    body = assert_json_error(response, 503)
    assert body["error"]["type"] == "service_unavailable"
    assert "ClickHouse" in body["message"]
    assert int(response["Retry-After"]) > 0
    assert accepted_usage(api_key) == {"logs": 0, "requests": 0}


def test_a_stored_batch_is_counted_once_on_clickhouse(clickhouse, api, api_key):
    response = post_json(api, [openai_chat(), openai_chat()])
    assert response.status_code == 200, response.content
    assert accepted_usage(api_key) == {"logs": 2, "requests": 1}
    assert UsageEvent.objects.filter(api_key_id=api_key.pk).count() == 1


def test_a_web_page_answers_503_naming_clickhouse_when_it_is_away(clickhouse_away, admin_client):
    response = admin_client.get("/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "ClickHouse is unavailable" in response.content.decode()
