"""How the API reads a request body: its length, its transfer and content encodings."""

import gzip
import io
import json
import zlib

import pytest

from logstore.models import Feedback, Log
from tests.payloads import openai_chat

pytestmark = pytest.mark.django_db


def post(api, raw: bytes, url="/v1/logs", **headers):
    return api.post(url, data=raw, content_type="application/json", **headers)


BODY = json.dumps([openai_chat("gz"), openai_chat("gz2")]).encode()


@pytest.mark.parametrize(
    "encoding,compress",
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda raw: zlib.compress(raw)[2:-4]),  # raw deflate, as some clients send
        ("GZIP", gzip.compress),
        ("identity", lambda raw: raw),
    ],
)
def test_it_reads_a_compressed_body(api, encoding, compress):
    response = post(api, compress(BODY), HTTP_CONTENT_ENCODING=encoding)
    assert response.status_code == 200, response.content
    assert sorted(Log.objects.values_list("user", flat=True)) == ["gz", "gz2"]


def test_it_reads_compressed_feedback(api):
    raw = gzip.compress(json.dumps({"trace_id": "t", "value": 1}).encode())
    response = post(api, raw, url="/v1/feedback", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 200, response.content
    assert Feedback.objects.get().trace_id == "t"


def test_a_body_that_decompresses_past_the_limit_is_a_413(api, settings):
    settings.LOGSTORE_MAX_BODY_BYTES = 64 * 1024
    bomb = gzip.compress(b'{"request": {}, "response": {}, "metadata": {"x": "' + b"0" * 10**7)
    assert len(bomb) < settings.LOGSTORE_MAX_BODY_BYTES
    response = post(api, bomb, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413
    assert "decompress" in response.json()["message"]
    assert not Log.objects.exists()


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, br", "compress"])
def test_an_unsupported_content_encoding_is_a_415_naming_it(api, encoding):
    response = post(api, BODY, HTTP_CONTENT_ENCODING=encoding)
    assert response.status_code == 415
    assert "Content-Encoding" in response.json()["message"]


def test_a_body_that_is_not_what_its_content_encoding_says_is_a_400_naming_it(api):
    response = post(api, BODY, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert "Content-Encoding" in response.json()["message"]
    truncated = gzip.compress(BODY)[:-20]
    response = post(api, truncated, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert "Content-Encoding" in response.json()["message"]


def test_a_chunked_body_without_a_length_is_a_411(api):
    response = post(api, BODY, HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH="")
    assert response.status_code == 411
    assert "Content-Length" in response.json()["message"]
    assert not Log.objects.exists()


def test_a_large_log_body_is_still_accepted_past_the_form_limit(api, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 3 * 1024 * 1024 < settings.LOGSTORE_MAX_BODY_BYTES
    big = json.dumps({**openai_chat("big"), "note": "x" * 3 * 1024 * 1024})
    assert post(api, big.encode()).status_code == 200


def test_the_login_form_refuses_a_huge_body(client):
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        data=b"username=a&password=" + b"x" * (10 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


@pytest.mark.parametrize("method,stored", [("get", False), ("post", True)])
def test_a_server_error_says_nothing_was_stored_only_for_a_write(api, monkeypatch, method, stored):
    from ingest.views import logs

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(logs, "store_logs", broken)
    monkeypatch.setattr(logs, "list_logs", broken)
    api.raise_request_exception = False
    response = api.get("/v1/logs") if method == "get" else post(api, BODY)
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"
    assert ("not stored" in response.json()["message"]) is stored


def test_a_disallowed_host_on_the_api_is_a_json_400(api):
    response = api.get("/v1/logs", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["type"] == "bad_request"


@pytest.mark.parametrize(
    "method,url",
    [
        ("post", "/v1/logs"),
        ("post", "/v1/feedback"),
        ("put", "/v1/feedback/01a2344c-8fe1-728b-84c6-2b7e9675607b"),
        ("post", "/v1/logs/exports"),
        ("put", "/v1/logs/exports/01a2344c-8fe1-728b-84c6-2b7e9675607b"),
    ],
)
@pytest.mark.parametrize("raw", [b"", b" \n"])
def test_an_empty_body_is_a_400_saying_so(api, method, url, raw):
    response = getattr(api, method)(url, data=raw, content_type="application/json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["message"].startswith("The request body is empty"), body
    assert body["error"]["type"] == "parse_error"
    assert not Log.objects.exists() and not Feedback.objects.exists()


@pytest.mark.parametrize(
    "url,raw",
    [
        ("/v1/logs", json.dumps(openai_chat("cut")).encode()),
        ("/v1/feedback", json.dumps({"trace_id": "t", "value": 1}).encode()),
    ],
)
def test_a_body_shorter_than_its_content_length_is_a_400_and_nothing_is_stored(api, url, raw):
    # What the server hands over when the client disconnects or truncates its body: a stream
    # that ends before the declared length.
    response = api.post(
        url,
        data=raw,
        content_type="application/json",
        CONTENT_LENGTH=str(len(raw) + 1000),
        **{"wsgi.input": io.BytesIO(raw)},
    )
    assert response.status_code == 400, response.content
    assert "shorter than its Content-Length" in response.json()["message"]
    assert not Log.objects.exists() and not Feedback.objects.exists()
