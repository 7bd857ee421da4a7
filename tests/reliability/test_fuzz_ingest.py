"""POST /logs against hostile bodies: never a 5xx, and every 4xx a JSON error naming the problem."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logstore.models import Log
from tests.payloads import openai_chat
from tests.posting import post_json
from tests.reliability.conftest import assert_json_error
from tests.reliability.strategies import json_values, log_items

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIELD_PATHS = [
    ("request",),
    ("request", "url"),
    ("request", "method"),
    ("request", "provider"),
    ("request", "headers"),
    ("request", "body"),
    ("request", "body", "model"),
    ("request", "body", "user"),
    ("response",),
    ("response", "status"),
    ("response", "headers"),
    ("response", "body"),
    ("response", "body", "usage"),
    ("response", "response_time"),
    ("response", "streamingMode"),
    ("metadata",),
    ("metadata", "_user"),
    ("metadata", "traceId"),
    ("metadata", "startTime"),
    ("trace_id",),
    ("span_id",),
    ("parent_span_id",),
    ("span_name",),
    ("createdAt",),
]


def with_value(path, value):
    item = openai_chat()
    node = item
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return item


def assert_clean_outcome(response, sent_items):
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert_json_error(response)
        return
    assert response.status_code == 200
    assert len(response.json()["log_ids"]) == sent_items


@FUZZ
@given(st.sampled_from(FIELD_PATHS), json_values)
def test_any_value_at_any_field_is_stored_or_refused_cleanly(api, path, value):
    body = json.dumps(with_value(path, value))  # NaN and Infinity go out as bare words
    response = post_json(api, body)
    assert_clean_outcome(response, 1)


@FUZZ
@given(st.lists(st.one_of(log_items, json_values), max_size=4))
def test_any_batch_is_stored_whole_or_refused_whole(api, items):
    before = Log.objects.count()
    response = post_json(api, json.dumps(items))
    assert_clean_outcome(response, len(items))
    stored = Log.objects.count() - before
    assert stored == (len(items) if response.status_code == 200 else 0)


@FUZZ
@given(st.binary(max_size=200))
def test_any_bytes_are_refused_or_stored_cleanly(api, raw):
    response = post_json(api, raw)
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert_json_error(response)


@FUZZ
@given(json_values)
def test_any_metadata_header_is_tolerated(api, value):
    header = json.dumps(value)
    response = post_json(api, openai_chat(), HTTP_X_PORTKEY_METADATA=header)
    assert_clean_outcome(response, 1)


def nested(depth):
    value = "leaf"
    for _ in range(depth - 1):
        value = [value]
    return value


def test_it_stores_a_body_nested_to_the_limit(api):
    item = openai_chat()
    item["request"]["body"]["deep"] = nested(100)
    response = post_json(api, item)
    assert response.status_code == 200, response.content
    [log_id] = response.json()["log_ids"]
    assert Log.objects.get(pk=log_id).request["body"]["deep"] == nested(100)


@pytest.mark.parametrize("depth", [200, 300, 1000, 1100, 5000])
def test_it_refuses_a_body_nested_too_deep_by_name(api, depth):
    deep = "[" * (depth - 1) + '"leaf"' + "]" * (depth - 1)
    raw = '{"request": {"body": {"deep": ' + deep + '}}, "response": {}}'
    body = assert_json_error(post_json(api, raw), 400)
    assert "levels deep" in body["message"]


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (b'{"request": {}, "response": {"response_time": NaN}}', "JSON"),
        (b'{"request": {}, "response": {"response_time": Infinity}}', "JSON"),
        (b'{"request": {"url": "\xff\xfe"}, "response": {}}', "UTF-8"),
        (b'{"request": {"url": "\xed\xa0\x80"}, "response": {}}', "UTF-8"),
        (b"[]", "empty"),
        (b"[1, 2]", "logs[0]"),
        (b'[{"request": {}, "response": {}}, "x"]', "logs[1]"),
        (b'{"request": "GET /", "response": {}}', "request"),
        (b'{"request": {}, "response": {"status": "teapot"}}', "response.status"),
        (b'{"request": {}, "response": {"response_time": -1}}', "response.response_time"),
        (b"null", "JSON object"),
        (b'"log"', "JSON object"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_problem(api, raw, named):
    body = assert_json_error(post_json(api, raw), 400)
    assert named in body["message"]


def test_a_huge_integer_latency_is_stored_capped(api):
    raw = b'{"request": {}, "response": {"response_time": 1' + b"0" * 400 + b"}}"
    response = post_json(api, raw)
    assert response.status_code == 200, response.content
    [log_id] = response.json()["log_ids"]
    assert Log.objects.get(pk=log_id).latency_ms is None


def test_duplicate_keys_keep_the_last_value(api):
    raw = b'{"request": {}, "response": {}, "metadata": {"_user": "first", "_user": "last"}}'
    response = post_json(api, raw)
    assert response.status_code == 200, response.content
    assert Log.objects.get().user == "last"


def test_a_lone_surrogate_is_stored_as_a_replacement_character_and_a_pair_as_sent(api):
    raw = b'{"request": {"body": {"prompt": "half \\ud800 pair \\ud83d\\ude00"}}, "response": {}}'
    response = post_json(api, raw)
    assert response.status_code == 200, response.content
    assert Log.objects.get().request["body"]["prompt"] == "half \ufffd pair \U0001f600"


def test_nul_characters_round_trip_through_the_json_columns(api):
    item = openai_chat()
    item["request"]["body"]["messages"][0]["content"] = "before\x00after"
    item["response"]["body"]["choices"][0]["message"]["content"] = "\x00"
    item["metadata"]["note"] = "a\x00b"
    item["trace_id"] = "trace\x00id"
    response = post_json(api, item)
    assert response.status_code == 200, response.content
    [log_id] = response.json()["log_ids"]
    log = Log.objects.get(pk=log_id)
    assert log.request["body"]["messages"][0]["content"] == "before\x00after"
    assert log.response["body"]["choices"][0]["message"]["content"] == "\x00"
    assert log.metadata["note"] == "a\x00b"
    assert log.metadata_index["note"] == "ab"
    assert log.trace_id == "traceid"
    fetched = api.get(f"/v1/logs/{log_id}").json()
    assert fetched["request"]["body"]["messages"][0]["content"] == "before\x00after"


@pytest.mark.postgres
def test_nul_characters_are_stored_as_json_escapes_on_postgresql(api):
    from django.db import connection

    response = post_json(api, with_value(("request", "body", "prompt"), "x\x00y"))
    assert response.status_code == 200, response.content
    with connection.cursor() as cursor:
        cursor.execute("SELECT request FROM logstore_log")
        [(text,)] = cursor.fetchall()
    assert "x\\u0000y" in text


@pytest.mark.parametrize("key", ["²", "٣", "0\n"])
def test_unicode_digit_keys_are_one_log_not_a_batch(api, key):
    body = {key: openai_chat(), "request": {}, "response": {}}
    response = post_json(api, {key: openai_chat()})
    assert response.status_code < 500, response.content
    response = post_json(api, body)
    assert response.status_code == 200, response.content


def test_an_idempotency_key_with_control_characters_is_a_400(api):
    body = assert_json_error(post_json(api, openai_chat(), HTTP_IDEMPOTENCY_KEY="a\x00b"), 400)
    assert "Idempotency-Key" in body["message"]
