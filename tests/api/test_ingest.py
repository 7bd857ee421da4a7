"""POST /logs and GET /logs/{id} through the real URLs."""

import json

import pytest

from logstore.models import ApiKey, IdempotencyRecord, Log, MetadataKey
from tests.payloads import (
    BIG_PARENT_ID,
    BIG_SPAN_ID,
    SEED_CURL_BODY,
    langchain_batch,
    openai_chat,
    otel_batch,
)
from tests.posting import post_json

pytestmark = pytest.mark.django_db


def test_it_stores_the_seed_curl_example_byte_for_byte(api):
    response = post_json(api, SEED_CURL_BODY)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    [log_id] = response.json()["log_ids"]
    log = Log.objects.get(pk=log_id)
    assert log.request == json.loads(SEED_CURL_BODY)["request"]
    assert log.response["body"] == {"response": "AI stands for Artificial Intelligence..."}
    assert log.metadata == {"user_id": "123", "user_name": "John Doe"}
    assert log.user == "123"
    assert log.latency_ms == 123
    assert log.status == 200 and log.is_success


# The test client reads "//logs" as a host name, so the doubled slashes go in a full URL.
@pytest.mark.parametrize(
    "path", ["/logs", "/v1/logs", "http://testserver//logs", "http://testserver/v1//logs", "/logs/"]
)
def test_it_serves_every_path_the_sdks_produce(api, path):
    response = post_json(api, openai_chat(), path=path)
    assert response.status_code == 200, response.content
    assert Log.objects.count() == 1


def test_it_accepts_an_array_of_logs(api):
    response = post_json(api, [openai_chat("a"), openai_chat("b"), openai_chat("c")])
    assert response.status_code == 200
    ids = response.json()["log_ids"]
    assert len(ids) == 3
    assert sorted(Log.objects.values_list("user", flat=True)) == ["a", "b", "c"]


def test_it_accepts_the_js_sdk_object_keyed_by_index(api):
    body = {"0": openai_chat("first"), "1": openai_chat("second")}
    response = post_json(api, body)
    assert response.status_code == 200
    ids = response.json()["log_ids"]
    assert [Log.objects.get(pk=i).user for i in ids] == ["first", "second"]


def test_it_accepts_a_langchain_batch_with_top_level_trace_fields(api):
    response = post_json(api, langchain_batch())
    assert response.status_code == 200
    child = Log.objects.get(span_id="child-1")
    root = Log.objects.get(span_id="root-1")
    assert child.trace_id == root.trace_id == "lc-trace-1"
    assert child.parent_span_id == "root-1"
    assert root.parent_span_id == ""
    assert child.latency_ms == 42
    assert child.span_name == "ChatOpenAI"
    assert child.created_at.timestamp() == pytest.approx(1764330000.25)


def test_it_keeps_64_bit_otel_span_ids_exact(api):
    response = post_json(api, otel_batch())
    assert response.status_code == 200
    log = Log.objects.get()
    assert log.span_id == str(BIG_SPAN_ID)
    assert log.parent_span_id == str(BIG_PARENT_ID)
    assert log.metadata["spanId"] == BIG_SPAN_ID
    assert log.trace_id == "5b8efff798038103d269b633813fc60c"
    assert log.latency_ms == 500


def test_it_accepts_null_metadata_from_older_python_sdks(api):
    body = openai_chat()
    body["metadata"] = None
    response = post_json(api, body)
    assert response.status_code == 200
    log = Log.objects.get()
    assert log.metadata is None
    assert log.trace_id  # generated


def test_it_returns_a_stored_log_by_id(api):
    [log_id] = post_json(api, openai_chat("bob")).json()["log_ids"]
    response = api.get(f"/v1/logs/{log_id}")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == log_id
    assert data["user"] == "bob"
    assert data["request"]["body"]["model"] == "gpt-4o-mini"
    assert data["total_tokens"] == 12
    assert data["created_at"].endswith("Z")
    assert api.get(f"/logs/{log_id}").status_code == 200


def test_it_hides_another_workspaces_log_behind_a_404(api, other_api_key, make_api):
    [log_id] = post_json(api, openai_chat()).json()["log_ids"]
    response = make_api(other_api_key).get(f"/v1/logs/{log_id}")
    assert response.status_code == 404
    assert response.json()["error"]["message"]


def test_header_defaults_apply_to_every_log_and_item_values_win(api):
    items = [openai_chat("a"), openai_chat("b")]
    items[1]["metadata"]["traceId"] = "own-trace"
    response = post_json(
        api,
        items,
        HTTP_X_PORTKEY_TRACE_ID="header-trace",
        HTTP_X_PORTKEY_SPAN_NAME="from-header",
        HTTP_X_PORTKEY_METADATA=json.dumps({"_environment": "staging", "_user": "header-user"}),
    )
    assert response.status_code == 200
    a, b = (Log.objects.get(pk=i) for i in response.json()["log_ids"])
    assert a.trace_id == "header-trace" and b.trace_id == "own-trace"
    assert a.span_name == b.span_name == "from-header"
    assert a.environment == "staging"
    assert a.user == "a"  # the log's own _user beats the header's


def test_debug_false_keeps_metrics_but_no_content(api):
    response = post_json(api, openai_chat(), HTTP_X_PORTKEY_DEBUG="false")
    assert response.status_code == 200
    log = Log.objects.get()
    assert "body" not in log.request and "body" not in log.response
    assert "headers" not in log.request
    assert log.total_tokens == 12 and log.model == "gpt-4o-mini" and log.latency_ms == 321


def test_it_masks_secret_headers_before_storing(api):
    response = post_json(api, openai_chat())
    assert response.status_code == 200
    stored = Log.objects.get().request["headers"]
    assert "abcdefghijklmnop" not in json.dumps(stored)
    assert stored["Authorization"].startswith("Bearer sk-p")
    assert stored["Content-Type"] == "application/json"


def test_an_idempotency_key_replays_the_first_response_without_storing_twice(api):
    first = post_json(api, openai_chat(), HTTP_IDEMPOTENCY_KEY="retry-1")
    second = post_json(api, openai_chat(), HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert Log.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_reusing_an_idempotency_key_for_another_body_is_a_conflict(api):
    post_json(api, openai_chat("a"), HTTP_IDEMPOTENCY_KEY="k")
    response = post_json(api, openai_chat("b"), HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 409
    assert Log.objects.count() == 1


def test_every_response_carries_a_request_id(api, client):
    assert post_json(api, openai_chat())["x-portkey-request-id"]
    assert post_json(api, "{not json")["x-portkey-request-id"]
    assert client.post("/v1/logs", data="{}", content_type="application/json")[
        "x-portkey-request-id"
    ]


# --- errors -----------------------------------------------------------------------------------


def assert_error(response, status, fragment):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert fragment in body["message"], body
    assert body["error"]["message"] == body["message"]


def test_malformed_json_is_a_400(api):
    assert_error(post_json(api, '{"request": '), 400, "not valid JSON")
    assert Log.objects.count() == 0


def test_nan_is_not_json(api):
    assert_error(post_json(api, '{"request": {}, "response": {"response_time": NaN}}'), 400, "JSON")


def test_a_request_that_is_not_an_object_names_the_item_and_field(api):
    batch = [openai_chat(), {**openai_chat(), "request": "oops"}]
    response = post_json(api, batch)
    assert_error(response, 400, "logs[1]: request")
    assert response.json()["error"]["details"][0]["index"] == 1
    assert Log.objects.count() == 0  # all or nothing


def test_a_bad_status_names_its_path(api):
    body = openai_chat()
    body["response"]["status"] = "teapot"
    assert_error(post_json(api, body), 400, "response.status")


def test_missing_request_or_response_is_a_400(api):
    assert_error(post_json(api, {"request": {}}), 400, "response")
    assert_error(post_json(api, {"response": {}}), 400, "request")


def test_an_empty_array_is_a_400(api):
    assert_error(post_json(api, []), 400, "empty")


def test_an_array_of_non_objects_is_a_400(api):
    assert_error(post_json(api, [1, 2]), 400, "logs[0] must be a JSON object")


def test_a_missing_key_is_a_401(client):
    assert_error(post_json(client, openai_chat()), 401, "API key")


def test_an_unknown_key_is_a_401(client):
    response = post_json(client, openai_chat(), HTTP_X_PORTKEY_API_KEY="lsk_deadbeef_nope")
    assert_error(response, 401, "Invalid API key")


def test_a_bearer_token_is_accepted(client, api_key):
    response = post_json(client, openai_chat(), HTTP_AUTHORIZATION=f"Bearer {api_key.raw}")
    assert response.status_code == 200


def test_a_revoked_key_is_refused_at_once(api, api_key):
    assert post_json(api, openai_chat()).status_code == 200
    api_key.revoke()
    assert_error(post_json(api, openai_chat()), 401, "revoked")


def test_a_key_without_the_write_scope_is_a_403(workspace, make_api):
    key, raw = ApiKey.generate(workspace, "reader", ["logs.read"])
    key.raw = raw
    assert_error(post_json(make_api(key), openai_chat()), 403, "logs.write")


def test_a_body_over_the_limit_is_a_413(api, settings):
    settings.LOGSTORE_MAX_BODY_BYTES = 2048
    body = openai_chat()
    body["request"]["body"]["messages"][0]["content"] = "x" * 4096
    assert_error(post_json(api, body), 413, "limit")
    assert Log.objects.count() == 0


def test_a_batch_over_the_limit_is_a_413(api, settings):
    settings.LOGSTORE_MAX_BATCH_ITEMS = 2
    assert_error(post_json(api, [openai_chat()] * 3), 413, "limit is 2")


def test_a_non_json_content_type_is_a_415(api):
    response = api.post("/v1/logs", data="request=1", content_type="text/plain")
    assert_error(response, 415, "")


def test_an_unknown_api_path_is_a_json_404(api):
    assert_error(api.get("/v1/nothing-here"), 404, "Not found")


def test_last_used_time_is_recorded(api, api_key):
    assert api_key.last_used_at is None
    post_json(api, openai_chat())
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_metadata_keys_are_recorded_and_their_last_sighting_refreshed(api, monkeypatch):
    """A key seen again after the process forgot it gets a fresh last_seen_at."""
    from datetime import timedelta

    from django.utils import timezone

    from logstore.ingestion import store as ingestion
    from logstore.models import MetadataKey

    post_json(api, openai_chat(feature="search"))
    key = MetadataKey.objects.get(key="feature")
    long_ago = timezone.now() - timedelta(days=3)
    MetadataKey.objects.filter(pk=key.pk).update(first_seen_at=long_ago, last_seen_at=long_ago)
    monkeypatch.setattr(ingestion, "_seen_keys", set())  # as after the process forgets them

    post_json(api, openai_chat(feature="chat"))
    key.refresh_from_db()
    assert key.first_seen_at == long_ago
    assert key.last_seen_at > long_ago + timedelta(days=2)


def test_it_reads_utf8_in_the_metadata_header(api):
    # A WSGI server hands header bytes over as Latin-1 text (PEP 3333); this is what
    # gunicorn passes on for `x-portkey-metadata: {"_user":"José"}` sent as UTF-8.
    as_wsgi_gives_it = '{"_user":"José","team":"Zürich"}'.encode().decode("latin-1")
    response = api.post(
        "/v1/logs",
        data=json.dumps({"request": {}, "response": {}}),
        content_type="application/json",
        HTTP_X_PORTKEY_METADATA=as_wsgi_gives_it,
        HTTP_X_PORTKEY_TRACE_ID="trace-é".encode().decode("latin-1"),
    )
    assert response.status_code == 200, response.content
    log = Log.objects.get()
    assert log.user == "José" and log.metadata == {"_user": "José", "team": "Zürich"}
    assert log.trace_id == "trace-é"


def test_it_keeps_a_latin1_header_that_is_not_utf8(api):
    response = api.post(
        "/v1/logs",
        data=json.dumps({"request": {}, "response": {}}),
        content_type="application/json",
        HTTP_X_PORTKEY_METADATA='{"_user":"Jos\xe9"}',
    )
    assert response.status_code == 200, response.content
    assert Log.objects.get().user == "José"


def test_it_stores_metadata_keys_longer_than_the_key_limit(api):
    # Both keys are recorded under the same first 256 characters: one row, not two.
    long_a, long_b = "k" * 256 + "a", "k" * 256 + "b"
    body = {"request": {}, "response": {}, "metadata": {long_a: "1", long_b: "2"}}
    response = api.post("/v1/logs", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    assert Log.objects.get().metadata == {long_a: "1", long_b: "2"}
    assert list(MetadataKey.objects.values_list("key", flat=True)) == ["k" * 256]
    assert api.get("/v1/logs", {"metadata": f"{long_b}=2"}).json()["results"]


SECRET = "sk-proj-0123456789abcdefghijklmnop"


@pytest.mark.parametrize(
    "name",
    [
        " authorization",
        "authorization ",
        "AUTHORIZATION",
        "openai-api-key",
        "x_api_key",
        "x-auth-token",
        "X-Refresh-Token",
        "client-secret",
        "x-goog-api-key",
        "Cookie",
    ],
)
def test_it_masks_secret_headers_by_normalised_name_and_pattern(api, name):
    body = {"request": {"headers": {name: SECRET, "Accept": "*/*"}}, "response": {}}
    response = api.post("/v1/logs", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    headers = Log.objects.get().request["headers"]
    assert headers == {name: "sk-p…mnop", "Accept": "*/*"}
    detail = api.get(f"/v1/logs/{response.json()['log_ids'][0]}")
    assert SECRET not in detail.content.decode()
