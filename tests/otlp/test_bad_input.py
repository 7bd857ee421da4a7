"""What the OTLP endpoint refuses, and how: a clear 4xx in the request's encoding, never a 5xx,
and nothing stored but the spans it reports as accepted."""

import gzip
import json
import time
from unittest import mock

import pytest
from django.db import connection
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from logstore.models import SCOPE_LOGS_READ, ApiKey, Log
from tests.otlp.conftest import OTLP_PATH, otlp_json

pytestmark = pytest.mark.django_db

PROTOBUF = "application/x-protobuf"


def send(client, body, content_type=PROTOBUF, **headers):
    return client.generic("POST", OTLP_PATH, body, content_type=content_type, **headers)


def three_spans(recorder):
    rec = recorder()
    with rec.tracer.start_as_current_span("root"):
        with rec.tracer.start_as_current_span("chat", attributes={"gen_ai.request.model": "m"}):
            pass
        with rec.tracer.start_as_current_span("tool"):
            pass
    return rec.spans()


def protobuf_status(response, status_code):
    assert response.status_code == status_code, response.content
    assert response["Content-Type"] == PROTOBUF
    return status_pb2.Status.FromString(response.content)


def json_error(response, status_code):
    assert response.status_code == status_code, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["message"] == body["error"]["message"]
    return body


def test_it_answers_garbage_protobuf_with_a_400_status(api):
    status = protobuf_status(send(api, b"\xff\xfenot a protobuf message"), 400)
    assert status.code == 3  # INVALID_ARGUMENT
    assert "not a protobuf ExportTraceServiceRequest" in status.message
    assert not Log.objects.exists()


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"resourceSpans": "many"}', b'{"resourceSpans": [{"scopeSpans": 1}]}'],
)
def test_it_answers_json_that_is_not_an_export_request_with_a_400(api, body):
    error = json_error(send(api, body, "application/json"), 400)
    assert error["code"] == 3
    assert not Log.objects.exists()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_it_refuses_other_content_types_with_a_415(api, recorder, content_type):
    body = encode_spans(three_spans(recorder)).SerializeToString()
    error = json_error(send(api, body, content_type), 415)
    assert "application/x-protobuf or application/json" in error["message"]
    assert not Log.objects.exists()


def test_it_refuses_an_unknown_content_encoding_with_a_415(api, recorder):
    body = encode_spans(three_spans(recorder)).SerializeToString()
    status = protobuf_status(send(api, body, HTTP_CONTENT_ENCODING="br"), 415)
    assert "Content-Encoding" in status.message and "br" in status.message


def test_it_answers_a_truncated_gzip_body_with_a_400(api, recorder):
    body = gzip.compress(encode_spans(three_spans(recorder)).SerializeToString())
    status = protobuf_status(send(api, body[:-12], HTTP_CONTENT_ENCODING="gzip"), 400)
    assert "gzip" in status.message
    assert not Log.objects.exists()


def test_it_rejects_an_id_of_the_wrong_length_and_stores_the_other_spans(api, recorder):
    spans = three_spans(recorder)
    request = encode_spans(spans)
    bad = request.resource_spans[0].scope_spans[0].spans[1]
    bad.trace_id = bad.trace_id[:15]

    response = send(api, request.SerializeToString())

    assert response.status_code == 200, response.content
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 1
    assert "spans[1]" in answer.partial_success.error_message
    assert "trace_id must be 16 bytes, got 15" in answer.partial_success.error_message
    assert sorted(Log.objects.values_list("span_name", flat=True)) == sorted(
        s.name for s in spans if s.name != request.resource_spans[0].scope_spans[0].spans[1].name
    )


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("spanId", "00f067aa0ba902", "span_id must be 8 bytes, got 7"),
        ("spanId", "0000000000000000", "span_id is all zeros"),
        ("traceId", "4bf92f3577b34da6a3ce929d0e0e47", "trace_id must be 16 bytes, got 15"),
        ("parentSpanId", "00f067aa0ba902b7ff", "parent_span_id must be empty or 8 bytes"),
    ],
)
def test_it_answers_a_request_whose_only_span_is_invalid_with_a_400(
    api, recorder, field, value, message
):
    rec = recorder()
    with rec.tracer.start_as_current_span("only"):
        pass
    document = otlp_json(rec.spans())
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][0][field] = value

    error = json_error(send(api, json.dumps(document), "application/json"), 400)

    assert message in error["message"]
    assert error["error"]["details"][0]["index"] == 0
    assert not Log.objects.exists()


def test_it_answers_an_id_that_is_not_hex_with_a_400(api, recorder):
    rec = recorder()
    with rec.tracer.start_as_current_span("only"):
        pass
    document = otlp_json(rec.spans())
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"] = "not-hex!"
    error = json_error(send(api, json.dumps(document), "application/json"), 400)
    assert "spanId 'not-hex!' is not hexadecimal" in error["message"]


def test_it_rejects_a_span_that_ends_before_it_starts(api, recorder):
    rec = recorder()
    now = time.time_ns()
    span = rec.tracer.start_span("backwards", start_time=now)
    span.end(end_time=now - 1_000_000)
    status = protobuf_status(send(api, encode_spans(rec.spans()).SerializeToString()), 400)
    assert "end_time_unix_nano is before start_time_unix_nano" in status.message
    assert not Log.objects.exists()


def test_it_rejects_a_span_with_ten_thousand_attributes(api, recorder):
    rec = recorder()
    with rec.tracer.start_as_current_span("ok"):
        pass
    request = encode_spans(rec.spans())
    span = request.resource_spans[0].scope_spans[0].spans[0]
    for i in range(10_000):
        attribute = span.attributes.add()
        attribute.key = f"attribute.{i}"
        attribute.value.string_value = "x"

    status = protobuf_status(send(api, request.SerializeToString()), 400)

    assert "attributes; the limit is 1000" in status.message
    assert not Log.objects.exists()


def test_it_refuses_a_50_mb_body_with_a_413_before_reading_it(api, settings):
    body = b"\x0a" * (settings.LOGSTORE_MAX_BODY_BYTES + 1)
    status = protobuf_status(send(api, body), 413)
    assert status.code == 8  # RESOURCE_EXHAUSTED
    assert not Log.objects.exists()


def test_it_refuses_a_small_gzip_body_that_inflates_past_the_limit(api, settings):
    bomb = gzip.compress(b"\x00" * (settings.LOGSTORE_MAX_BODY_BYTES + 1))
    assert len(bomb) < 100_000
    status = protobuf_status(send(api, bomb, HTTP_CONTENT_ENCODING="gzip"), 413)
    assert "decompresses to over the limit" in status.message


def test_it_refuses_more_spans_than_a_batch_may_hold(api, recorder, settings):
    settings.LOGSTORE_MAX_BATCH_ITEMS = 2
    status = protobuf_status(
        send(api, encode_spans(three_spans(recorder)).SerializeToString()), 413
    )
    assert "3 spans; the limit is 2" in status.message
    assert not Log.objects.exists()


def test_it_answers_a_missing_key_with_a_401_in_protobuf(client, recorder):
    body = encode_spans(three_spans(recorder)).SerializeToString()
    status = protobuf_status(send(client, body), 401)
    assert status.code == 16  # UNAUTHENTICATED
    assert "Missing API key" in status.message


def test_it_answers_a_key_without_the_write_scope_with_a_403(workspace, make_api, recorder):
    key, raw = ApiKey.generate(workspace, "reader", scopes=[SCOPE_LOGS_READ])
    key.raw = raw
    body = otlp_json(three_spans(recorder))
    error = json_error(send(make_api(key), json.dumps(body), "application/json"), 403)
    assert "'logs.write' scope" in error["message"]
    assert not Log.objects.exists()


def test_it_answers_past_the_rate_limit_with_a_429_and_retry_after(api, recorder, settings):
    settings.LOGSTORE_RATE_LIMIT = (1, 60)
    body = encode_spans(three_spans(recorder)).SerializeToString()
    assert send(api, body).status_code == 200
    response = send(api, body)
    status = protobuf_status(response, 429)
    assert status.code == 8
    assert int(response["Retry-After"]) > 0
    assert Log.objects.count() == 3


def test_it_answers_503_with_retry_after_and_stores_nothing_when_the_database_is_away(
    api, recorder
):
    body = encode_spans(three_spans(recorder)).SerializeToString()
    error = connection.Database.OperationalError("server closed the connection unexpectedly")
    with mock.patch("logstore.storage.orm.write_logs", side_effect=error):
        response = send(api, body)
    status = protobuf_status(response, 503)
    assert status.code == 14  # UNAVAILABLE
    assert int(response["Retry-After"]) > 0
    assert not Log.objects.exists()


def test_it_stores_nul_characters_in_names_and_attributes_and_reads_them_back(api, recorder):
    rec = recorder()
    with rec.tracer.start_as_current_span(
        "na\x00me", attributes={"ke\x00y": "va\x00lue", "user.id": "al\x00ice"}
    ) as span:
        span.add_event("ev\x00ent", {"in\x00ner": "x\x00"})

    response = send(api, encode_spans(rec.spans()).SerializeToString())

    assert response.status_code == 200, response.content
    [log] = api.get("/v1/logs").json()["results"]
    assert (log["span_name"], log["user"]) == ("name", "alice")
    detail = api.get(f"/v1/logs/{log['id']}").json()
    assert detail["request"]["otel"]["events"][0]["name"] == "ev\x00ent"
