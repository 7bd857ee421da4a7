"""What reaches a real gunicorn before Django does: a request line or header past the server's
limits, a malformed request, a body cut short of its Content-Length. API clients get the one
JSON error body with the right status, and half a body is never stored."""

import ast
import json

import pytest

from logstore.models import Log
from tests.payloads import openai_chat
from tests.reliability.gunicorn_server import ROOT


def configured(name, default):
    """A constant of gunicorn.conf.py, read without running the file: running it would set the
    metrics directory of this test process."""
    tree = ast.parse((ROOT / "gunicorn.conf.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == [name]:
            return ast.literal_eval(node.value)
    return default


LIMIT_REQUEST_LINE = configured("limit_request_line", 4094)  # gunicorn's defaults
LIMIT_REQUEST_FIELD_SIZE = configured("limit_request_field_size", 8190)


@pytest.fixture
def one_worker(server):
    return server(workers=1, LOGSTORE_RATE_LIMIT="off")


def assert_json_error(response, status):
    assert response.status == status, response.body
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("Connection") == "close"
    body = json.loads(response.body)
    assert body["message"] and body["error"]["message"] == body["message"]
    return body


def test_a_url_past_the_request_line_limit_is_a_json_414(one_worker):
    path = "/v1/logs?trace_id=" + "x" * LIMIT_REQUEST_LINE
    body = assert_json_error(one_worker.exchange("GET", path), 414)
    assert body["error"]["type"] == "uri_too_long"
    assert "Request Line is too large" in body["message"]


def test_a_header_past_the_field_size_limit_is_a_json_431(one_worker):
    headers = {"x-portkey-metadata": "x" * (LIMIT_REQUEST_FIELD_SIZE + 810)}
    body = assert_json_error(one_worker.exchange("GET", "/v1/logs", headers=headers), 431)
    assert body["error"]["type"] == "request_header_fields_too_large"


def test_a_malformed_request_line_is_a_json_400(one_worker):
    body = assert_json_error(one_worker.raw(b"NOT A REQUEST\r\n\r\n"), 400)
    assert body["error"]["type"] == "bad_request"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_body_cut_short_of_its_content_length_is_refused_and_not_stored(one_worker, key):
    # A whole, valid log, but the client declared more and then stopped sending.
    body = json.dumps(openai_chat("cut")).encode()
    head = (
        "POST /v1/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"x-portkey-api-key: {key.raw}\r\nContent-Length: {len(body) + 1000}\r\n\r\n"
    )
    response = one_worker.raw(head.encode() + body, half_close=True)

    assert response.status == 400, response.body
    assert "shorter than its Content-Length" in json.loads(response.body)["message"]
    assert not Log.objects.exists()
    assert one_worker.post_log(key.raw) == 200  # the same server stores a whole body
