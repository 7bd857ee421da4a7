"""/healthz, /readyz and /metrics, and structured request logs."""

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.payloads import openai_chat
from tests.posting import post_json

pytestmark = pytest.mark.django_db


def test_healthz_says_the_process_is_up_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_checks_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_probes_answer_any_host_and_plain_http(client, settings):
    """A load balancer probes by IP over HTTP; neither ALLOWED_HOSTS nor the HTTPS redirect
    may turn a healthy process into a failing probe."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz/", HTTP_HOST="10.1.2.3:8000").status_code == 200


def scrape(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_count_ingested_logs_requests_and_latency(client, api):
    before = scrape(client)
    assert post_json(api, [openai_chat(), openai_chat()]).status_code == 200
    assert post_json(api, "not json").status_code == 400
    after = scrape(client)

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("logstore_ingest_logs_total") == 2
    assert delta("logstore_ingest_requests_total", status="200") == 1
    assert delta("logstore_ingest_requests_total", status="400") == 1
    assert delta("logstore_ingest_request_duration_seconds_count", outcome="accepted") == 1
    assert delta("logstore_ingest_request_duration_seconds_count", outcome="rejected") == 1
    assert delta("logstore_ingest_bytes_total") > 0
    assert (
        delta(
            "logstore_http_request_duration_seconds_count",
            route="api-logs",
            method="POST",
            status="2xx",
        )
        == 1
    )


def test_metrics_need_the_token_when_one_is_set(client, settings):
    settings.LOGSTORE_METRICS_TOKEN = "metrics-secret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-secret")
    assert ok.status_code == 200
    assert b"logstore_ingest_logs_total" in ok.content


@pytest.fixture
def json_log_lines():
    """Everything logged while the test runs, as the production formatter writes it."""
    from logstore.observability.requestlog import JSONFormatter, RequestIdFilter

    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JSONFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lines
    finally:
        root.removeHandler(handler)


def test_each_request_is_logged_as_json_with_its_request_id(api, api_key, json_log_lines):
    response = post_json(api, openai_chat(), HTTP_X_REQUEST_ID="req-123")
    assert response["X-Request-ID"] == "req-123"
    entries = [json.loads(line) for line in json_log_lines]
    [entry] = [e for e in entries if e["logger"] == "logstore.requests"]
    assert entry["request_id"] == "req-123"
    assert entry["status"] == 200
    assert entry["path"] == "/v1/logs"
    assert entry["route"] == "api-logs"
    assert entry["key_prefix"] == api_key.prefix
    assert entry["duration_ms"] >= 0


def test_a_log_line_with_a_lone_surrogate_is_still_written():
    from logstore.observability.requestlog import JSONFormatter

    record = logging.makeLogRecord({"msg": "client sent %s", "args": ("\ud800",)})
    line = JSONFormatter().format(record)
    line.encode("utf-8")
    assert json.loads(line)["message"] == "client sent \ud800"
