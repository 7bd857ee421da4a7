"""Per-key rate limits (429 with Retry-After) and the body and batch limits (413) at their edges."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from logstore.models import Log
from project.env import envrate
from tests.payloads import openai_chat
from tests.posting import post_json
from tests.reliability.conftest import assert_json_error

pytestmark = pytest.mark.django_db


def test_it_refuses_a_key_over_its_rate_with_429_and_retry_after(api, settings, frozen_clock):
    settings.LOGSTORE_RATE_LIMIT = (3, 60)
    for _ in range(3):
        assert post_json(api, openai_chat()).status_code == 200
    response = post_json(api, openai_chat())
    body = assert_json_error(response, 429)
    assert body["error"]["type"] == "throttled"
    assert response["Retry-After"] == "51"  # the window ends 50 s after the frozen clock
    assert Log.objects.count() == 3


def test_the_limit_counts_each_key_separately(api, other_api_key, make_api, settings, frozen_clock):
    settings.LOGSTORE_RATE_LIMIT = (1, 60)
    assert post_json(api, openai_chat()).status_code == 200
    assert post_json(api, openai_chat()).status_code == 429
    assert post_json(make_api(other_api_key), openai_chat()).status_code == 200


def test_reads_count_against_the_same_limit(api, settings, frozen_clock):
    settings.LOGSTORE_RATE_LIMIT = (1, 60)
    assert post_json(api, openai_chat()).status_code == 200
    assert_json_error(api.get("/v1/logs/00000000-0000-0000-0000-000000000000"), 429)


def test_no_limit_when_switched_off(api, settings):
    settings.LOGSTORE_RATE_LIMIT = None
    for _ in range(5):
        assert post_json(api, openai_chat()).status_code == 200


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("600/min", (600, 60)), ("10/s", (10, 1)), ("5000/hour", (5000, 3600)), ("off", None)],
)
def test_the_rate_setting_reads_count_and_period(monkeypatch, raw, expected):
    monkeypatch.setenv("LOGSTORE_RATE_LIMIT", raw)
    assert envrate("LOGSTORE_RATE_LIMIT", "") == expected


@pytest.mark.parametrize("raw", ["600", "600/fortnight", "-1/min", "many/min"])
def test_a_bad_rate_setting_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("LOGSTORE_RATE_LIMIT", raw)
    with pytest.raises(ImproperlyConfigured, match="LOGSTORE_RATE_LIMIT"):
        envrate("LOGSTORE_RATE_LIMIT", "")


def body_of_size(size):
    """A valid one-log body of exactly `size` bytes."""
    skeleton = json.dumps({"request": {"body": {"prompt": ""}}, "response": {}})
    padding = size - len(skeleton)
    assert padding >= 0
    raw = skeleton.replace('"prompt": ""', '"prompt": "' + "x" * padding + '"')
    assert len(raw.encode()) == size
    return raw


@pytest.mark.parametrize(("size", "status"), [(4096, 200), (4097, 413)])
def test_the_body_limit_is_exact(api, settings, size, status):
    settings.LOGSTORE_MAX_BODY_BYTES = 4096
    response = post_json(api, body_of_size(size))
    assert response.status_code == status, response.content
    if status == 413:
        assert "4096" in assert_json_error(response)["message"]
        assert Log.objects.count() == 0


@pytest.mark.parametrize(("items", "status"), [(5, 200), (6, 413)])
def test_the_batch_limit_is_exact(api, settings, items, status):
    settings.LOGSTORE_MAX_BATCH_ITEMS = 5
    response = post_json(api, [openai_chat() for _ in range(items)])
    assert response.status_code == status, response.content
    assert Log.objects.count() == (items if status == 200 else 0)
    if status == 413:
        assert "limit is 5" in assert_json_error(response)["message"]


def test_the_js_sdk_batch_shape_has_the_same_limit(api, settings):
    settings.LOGSTORE_MAX_BATCH_ITEMS = 2
    body = {str(i): openai_chat() for i in range(3)}
    assert_json_error(post_json(api, body), 413)


def test_counting_shares_one_row_per_key_and_window_and_sweeps_ended_ones(db):
    from logstore.apikeys.ratelimit import count_request
    from logstore.models import RateLimitWindow

    assert count_request(1, 60, now=6000.0) == (1, 60.0)
    assert count_request(1, 60, now=6030.0) == (2, 30.0)
    assert count_request(2, 60, now=6059.0) == (1, 1.0)
    assert count_request(1, 60, now=6061.0)[0] == 1
    assert count_request(1, 60, now=6125.0)[0] == 1
    assert sorted(RateLimitWindow.objects.values_list("api_key_id", "window_start")) == [
        (1, 6060),
        (1, 6120),
    ]


def test_a_steady_request_writes_nothing_but_its_logs_and_usage(api, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.LOGSTORE_RATE_LIMIT = (6000, 60)
    assert post_json(api, openai_chat()).status_code == 200  # claims a share of the window
    with CaptureQueriesContext(connection) as queries:
        assert post_json(api, openai_chat()).status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    # No key lookup (the key verified by the first request is checked inside the write), no
    # rate-limit upsert (this process spends what it claimed), no shared counter updated.
    assert not any('"logstore_apikey"."prefix"' in sql for sql in statements)
    assert not any("ratelimitwindow" in sql for sql in statements)
    assert not any("apikeyusage" in sql or "rejectedrequest" in sql for sql in statements)
    assert sum("usageevent" in sql for sql in statements) == 1


def test_processes_claiming_shares_of_a_window_never_admit_more_than_the_limit(db, api_key):
    from logstore.apikeys.ratelimit import Leases

    workers = [Leases() for _ in range(3)]
    admitted = sum(
        workers[i % 3].admit(api_key.pk, (1000, 3600), now=7200.0)[0] for i in range(1500)
    )
    assert admitted == 1000
    # A new window starts afresh.
    assert workers[0].admit(api_key.pk, (1000, 3600), now=10800.0)[0]
