"""The normaliser's precedence and coercion rules, table-driven. No database."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from logstore.core.redaction import mask_secret
from logstore.ingestion.normalize import (
    HeaderDefaults,
    NormalizationError,
    metadata_index,
    normalize_log,
    parse_time,
)

RECEIVED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def norm(item, headers=None, masked=frozenset()):
    item = {"request": {}, "response": {}, **item}
    return normalize_log(
        item,
        HeaderDefaults.from_headers(headers or {}),
        received_at=RECEIVED,
        masked_headers=masked,
    )


HEADERS = {
    "x-portkey-trace-id": "h-trace",
    "x-portkey-span-id": "h-span",
    "x-portkey-parent-span-id": "h-parent",
    "x-portkey-span-name": "h-name",
}


@pytest.mark.parametrize(
    ("item", "headers", "expected"),
    [
        (
            {"trace_id": "top", "metadata": {"traceId": "camel", "trace_id": "snake"}},
            HEADERS,
            "top",
        ),
        ({"traceId": "top-camel", "metadata": {"trace_id": "snake"}}, HEADERS, "top-camel"),
        ({"metadata": {"traceId": "camel", "trace_id": "snake"}}, HEADERS, "camel"),
        ({"metadata": {"trace_id": "snake"}}, HEADERS, "snake"),
        ({"metadata": {}}, HEADERS, "h-trace"),
        ({"trace_id": "", "metadata": {"traceId": ""}}, HEADERS, "h-trace"),
    ],
)
def test_trace_id_precedence(item, headers, expected):
    assert norm(item, headers).trace_id == expected


@pytest.mark.parametrize(
    ("column", "top", "camel", "snake", "header"),
    [
        ("span_id", "span_id", "spanId", "span_id", "h-span"),
        ("parent_span_id", "parent_span_id", "parentSpanId", "parent_span_id", "h-parent"),
        ("span_name", "span_name", "spanName", "span_name", "h-name"),
    ],
)
def test_span_fields_follow_the_same_precedence(column, top, camel, snake, header):
    everything = {top: "T", "metadata": {camel: "C", snake: "S"}}
    assert getattr(norm(everything, HEADERS), column) == "T"
    assert getattr(norm({"metadata": {camel: "C", snake: "S"}}, HEADERS), column) == "C"
    assert getattr(norm({"metadata": {snake: "S"}}, HEADERS), column) == "S"
    assert getattr(norm({}, HEADERS), column) == header


def test_a_trace_id_is_generated_when_none_was_sent():
    first, second = norm({}), norm({})
    assert first.trace_id and second.trace_id and first.trace_id != second.trace_id


def test_integer_span_ids_become_exact_text():
    log = norm({"metadata": {"spanId": 2**64 - 1, "parentSpanId": 2**53 + 1}})
    assert log.span_id == "18446744073709551615"
    assert log.parent_span_id == "9007199254740993"


@pytest.mark.parametrize(
    ("metadata", "body", "expected"),
    [
        ({"_user": "u1", "user": "u2", "user_id": "u3"}, {"user": "u4"}, "u1"),
        ({"user": "u2", "user_id": "u3"}, {"user": "u4"}, "u2"),
        ({"user_id": "u3"}, {"user": "u4"}, "u3"),
        ({}, {"user": "u4"}, "u4"),
        ({"user_id": 123}, {}, "123"),
        ({}, {}, ""),
    ],
)
def test_user_precedence(metadata, body, expected):
    assert norm({"metadata": metadata, "request": {"body": body}}).user == expected


def test_header_metadata_is_a_default_that_the_log_overrides():
    headers = {"x-portkey-metadata": '{"_user": "header", "_environment": "prod"}'}
    log = norm({"metadata": {"_user": "own"}}, headers)
    assert log.user == "own" and log.environment == "prod"
    assert log.metadata == {"_user": "own", "_environment": "prod"}


def test_an_invalid_metadata_header_counts_as_empty():
    assert norm({}, {"x-portkey-metadata": "{not json"}).metadata is None


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"response_time": 123}, 123),
        ({"response_time": 12.6}, 13),
        ({"response_time": "0012"}, 12),
        ({"time": 55}, 55),
        ({"responseTime": "7"}, 7),
        ({"response_time": "fast"}, None),
        ({"response_time": -5}, None),
        ({}, None),
    ],
)
def test_latency_spellings_and_types(response, expected):
    assert norm({"response": response}).latency_ms == expected


def test_latency_falls_back_to_otel_span_bounds():
    md = {"startTime": 1764330000_000_000_000, "endTime": 1764330000_250_000_000}
    assert norm({"metadata": md}).latency_ms == 250


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}, (10, 5, 15)),
        ({"prompt_tokens": 10, "completion_tokens": 5}, (10, 5, 15)),
        ({"input_tokens": 7, "output_tokens": 3}, (7, 3, 10)),
        (
            {"input_tokens": 7, "cache_read_input_tokens": 100, "output_tokens": 3},
            (107, 3, 110),
        ),
    ],
)
def test_tokens_from_openai_and_anthropic_usage(usage, expected):
    log = norm({"response": {"body": {"usage": usage}}})
    assert (log.prompt_tokens, log.completion_tokens, log.total_tokens) == expected


def test_tokens_from_gemini_usage_metadata():
    body = {
        "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 6, "totalTokenCount": 10}
    }
    log = norm({"response": {"body": body}})
    assert (log.prompt_tokens, log.completion_tokens, log.total_tokens) == (4, 6, 10)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # OpenAI chat: cached inside prompt_tokens, reasoning inside completion_tokens.
        (
            {
                "usage": {
                    "prompt_tokens": 100,
                    "completion_tokens": 50,
                    "prompt_tokens_details": {"cached_tokens": 40},
                    "completion_tokens_details": {"reasoning_tokens": 30},
                }
            },
            (100, 50, 40, None, 30),
        ),
        # OpenAI Responses API: input_tokens already includes its cache reads.
        (
            {
                "usage": {
                    "input_tokens": 100,
                    "output_tokens": 50,
                    "input_tokens_details": {"cached_tokens": 40},
                    "output_tokens_details": {"reasoning_tokens": 30},
                }
            },
            (100, 50, 40, None, 30),
        ),
        # Anthropic: input_tokens leaves the cache reads and writes out.
        (
            {
                "usage": {
                    "input_tokens": 10,
                    "cache_creation_input_tokens": 20,
                    "cache_read_input_tokens": 70,
                    "output_tokens": 5,
                }
            },
            (100, 5, 70, 20, None),
        ),
        # Gemini: thinking is counted apart from the candidates but billed as output.
        (
            {
                "usageMetadata": {
                    "promptTokenCount": 100,
                    "cachedContentTokenCount": 60,
                    "candidatesTokenCount": 20,
                    "thoughtsTokenCount": 30,
                }
            },
            (100, 50, 60, None, 30),
        ),
        ({"usage": {"prompt_tokens_details": None}}, (None, None, None, None, None)),
    ],
)
def test_usage_parts_priced_apart(body, expected):
    log = norm({"response": {"body": body}})
    parts = (
        log.prompt_tokens,
        log.completion_tokens,
        log.cached_tokens,
        log.cache_write_tokens,
        log.reasoning_tokens,
    )
    assert parts == expected


@pytest.mark.parametrize(
    ("item", "cost"),
    [
        ({"cost": 0.25}, "0.25"),
        ({"cost": "0.000001", "cost_currency": "usd"}, "0.000001"),
        ({"cost": 0}, "0"),
        ({"response": {"body": {"usage": {"cost": 0.002}}}}, "0.002"),
        ({"response": {"body": {"usage": {"cost": "n/a"}}}}, None),
        ({}, None),
    ],
)
def test_a_client_reported_cost(item, cost):
    log = norm(item)
    assert log.cost_usd == (Decimal(cost) if cost is not None else None)
    assert log.price_source == ("client" if cost is not None else "")


@pytest.mark.parametrize(
    ("request_part", "response_body", "provider", "model"),
    [
        (
            {"url": "https://api.openai.com/v1/chat/completions", "body": {"model": "gpt-4o"}},
            {},
            "openai",
            "gpt-4o",
        ),
        (
            {"url": "https://api.anthropic.com/v1/messages", "body": {}},
            {"model": "claude-sonnet-4"},
            "anthropic",
            "claude-sonnet-4",
        ),
        (
            {
                "url": "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent"
            },
            {},
            "google",
            "gemini-2.0-flash",
        ),
        (
            {"url": "https://x.openai.azure.com/openai/deployments/prod-gpt/chat/completions"},
            {},
            "azure-openai",
            "prod-gpt",
        ),
        ({"provider": "Mistral-AI", "url": "https://api.openai.com/v1/x"}, {}, "mistral-ai", ""),
        ({"url": "https://api.someprovider.com/model/generate"}, {}, "", ""),
        ({}, {}, "", ""),
    ],
)
def test_provider_and_model(request_part, response_body, provider, model):
    log = norm({"request": request_part, "response": {"body": response_body}})
    assert (log.provider, log.model) == (provider, model)


@pytest.mark.parametrize(
    ("status", "expected", "success"),
    [(None, 200, True), (201, 201, True), ("429", 429, False), (500, 500, False)],
)
def test_status_and_success(status, expected, success):
    response = {} if status is None else {"status": status}
    log = norm({"response": response})
    assert (log.status, log.is_success) == (expected, success)


@pytest.mark.parametrize("status", ["teapot", 99, 600, 200.5, True])
def test_an_impossible_status_is_an_error_naming_the_field(status):
    with pytest.raises(NormalizationError) as info:
        norm({"response": {"status": status}})
    assert info.value.path == "response.status"


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"createdAt": "2026-11-27T10:00:00Z"}, datetime(2026, 11, 27, 10, tzinfo=UTC)),
        ({"created_at": "2026-11-27T10:00:00+02:00"}, datetime(2026, 11, 27, 8, tzinfo=UTC)),
        ({"start_time": 1795773600.5}, datetime(2026, 11, 27, 10, 0, 0, 500000, tzinfo=UTC)),
        ({"startTime": 1795773600000}, datetime(2026, 11, 27, 10, tzinfo=UTC)),
        ({"metadata": {"startTime": 1795773600000000000}}, datetime(2026, 11, 27, 10, tzinfo=UTC)),
        ({"created_at": "not a time"}, RECEIVED),
        ({"created_at": "1999-01-01T00:00:00Z"}, RECEIVED),
        ({"created_at": "2030-01-01T00:00:00Z"}, RECEIVED),
        ({}, RECEIVED),
    ],
)
def test_event_time(item, expected):
    assert norm(item).created_at == expected


def test_naive_iso_times_are_utc():
    assert parse_time("2026-11-27T10:00:00") == datetime(2026, 11, 27, 10, tzinfo=UTC)


def test_streaming_from_mode_or_request_flag():
    assert norm({"response": {"streamingMode": True}}).streaming
    assert norm({"request": {"body": {"stream": True}}}).streaming
    assert not norm({}).streaming


def test_metadata_index_holds_text_forms():
    index = metadata_index({"n": 5, "f": 5.0, "s": "5", "b": True, "none": None, "o": {"a": 1}})
    assert index == {"n": "5", "f": "5", "s": "5", "b": "true", "o": '{"a":1}'}


def test_promoted_text_drops_nul_and_is_capped():
    log = norm({"metadata": {"_user": "a\x00b" + "x" * 1000}})
    assert "\x00" not in log.user and len(log.user) == 256


def test_secret_headers_are_masked_and_others_kept():
    masked = frozenset({"authorization", "x-api-key"})
    headers = {
        "Authorization": "Bearer sk-live-1234567890abcdef",
        "X-Api-Key": "short",
        "Accept": "*/*",
    }
    log = norm({"request": {"headers": headers}}, masked=masked)
    assert log.request["headers"] == {
        "Authorization": "Bearer sk-l…cdef",
        "X-Api-Key": "****",
        "Accept": "*/*",
    }


def test_mask_secret_never_returns_the_secret():
    secret = "sk-ant-0123456789abcdefghij"
    assert secret not in mask_secret(secret)


def test_debug_false_drops_bodies_and_headers_but_keeps_metrics():
    item = {
        "request": {"url": "https://api.openai.com/v1/chat/completions", "body": {"model": "m"}},
        "response": {"body": {"usage": {"total_tokens": 9}}, "headers": {"a": "b"}},
    }
    log = norm(item, {"x-portkey-debug": "false"})
    assert log.request == {"url": "https://api.openai.com/v1/chat/completions"}
    assert log.response == {}
    assert (log.model, log.total_tokens) == ("m", 9)
