"""The span -> log mapping on its own, one table per convention, through the same normaliser
`POST /logs` uses."""

import json
from datetime import UTC, datetime

import pytest

from logstore.ingestion.normalize import HeaderDefaults, normalize_log
from logstore.ingestion.otlp import (
    Rejection,
    Span,
    SpanEvent,
    flatten_attributes,
    rejection_message,
    span_problem,
    span_to_log,
)
from logstore.web.conversation import conversation

START = 1_780_000_000_000_000_000
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


def span(attributes=None, **fields):
    values = {
        "trace_id": TRACE,
        "span_id": SPAN,
        "name": "chat",
        "start_time_unix_nano": START,
        "end_time_unix_nano": START + 250_000_000,
        "attributes": attributes or {},
        **fields,
    }
    return Span(**values)


def stored(s):
    return normalize_log(
        span_to_log(s), HeaderDefaults(), received_at=datetime(2027, 1, 1, tzinfo=UTC)
    )


def shown(log):
    return [
        (m.role, " ".join(p.text for p in m.parts), [c.name for c in m.tool_calls], m.note)
        for m in conversation(log.request.get("body"), log.response.get("body"))
    ]


@pytest.mark.parametrize(
    "attributes",
    [
        pytest.param(
            {
                "gen_ai.provider.name": "anthropic",
                "gen_ai.request.model": "claude-sonnet-4-5",
                "gen_ai.usage.input_tokens": 11,
                "gen_ai.usage.output_tokens": 5,
                "user.id": "u1",
                "gen_ai.conversation.id": "c1",
            },
            id="otel-genai-semconv",
        ),
        pytest.param(
            {
                "gen_ai.system": "Anthropic",
                "llm.request.model": "claude-sonnet-4-5",
                "gen_ai.usage.prompt_tokens": 11,
                "gen_ai.usage.completion_tokens": 5,
                "llm.user": "u1",
                "traceloop.association.properties.session_id": "c1",
            },
            id="openllmetry",
        ),
        pytest.param(
            {
                "llm.provider": "anthropic",
                "llm.model_name": "claude-sonnet-4-5",
                "llm.token_count.prompt": 11,
                "llm.token_count.completion": 5,
                "user.id": "u1",
                "session.id": "c1",
            },
            id="openinference",
        ),
    ],
)
def test_each_convention_gives_provider_model_tokens_user_and_session(attributes):
    log = stored(span(attributes))
    assert (log.provider, log.model) == ("anthropic", "claude-sonnet-4-5")
    assert (log.prompt_tokens, log.completion_tokens, log.total_tokens) == (11, 5, 16)
    assert log.user == "u1"
    assert log.metadata["session_id"] == "c1"


def test_the_semantic_conventions_messages_attributes_become_an_openai_conversation():
    attributes = {
        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be brief."}]),
        "gen_ai.input.messages": json.dumps(
            [
                {"role": "user", "parts": [{"type": "text", "content": "Weather?"}]},
                {
                    "role": "assistant",
                    "parts": [
                        {"type": "tool_call", "id": "c1", "name": "weather", "arguments": {}}
                    ],
                },
                {
                    "role": "tool",
                    "parts": [{"type": "tool_call_response", "id": "c1", "response": "sunny"}],
                },
            ]
        ),
        "gen_ai.output.messages": json.dumps(
            [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "Sunny."}],
                    "finish_reason": "stop",
                }
            ]
        ),
    }
    log = stored(span(attributes))
    assert shown(log) == [
        ("system", "Be brief.", [], ""),
        ("user", "Weather?", [], ""),
        ("assistant", "", ["weather"], ""),
        ("tool", "sunny", [], "tool_call_id: c1"),
        ("assistant", "Sunny.", [], "finish: stop"),
    ]
    assert not any(key.startswith("gen_ai.input") for key in log.metadata)


def test_the_older_content_events_become_a_conversation():
    events = (
        SpanEvent(
            "gen_ai.content.prompt",
            START,
            {"gen_ai.prompt": json.dumps([{"role": "user", "content": "Hi"}])},
        ),
        SpanEvent(
            "gen_ai.content.completion",
            START,
            {"gen_ai.completion": json.dumps([{"role": "assistant", "content": "Hello"}])},
        ),
    )
    log = stored(span(events=events))
    assert shown(log) == [("user", "Hi", [], ""), ("assistant", "Hello", [], "")]


def test_openllmetry_completion_tool_calls_are_kept():
    log = stored(
        span(
            {
                "gen_ai.prompt.0.role": "user",
                "gen_ai.prompt.0.content": "Weather?",
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.finish_reason": "tool_calls",
                "gen_ai.completion.0.tool_calls.0.id": "call_1",
                "gen_ai.completion.0.tool_calls.0.name": "weather",
                "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Oslo"}',
            }
        )
    )
    assert shown(log) == [
        ("user", "Weather?", [], ""),
        ("assistant", "", ["weather"], "finish: tool_calls"),
    ]


def test_an_openinference_image_part_is_shown_as_an_image():
    log = stored(
        span(
            {
                "llm.input_messages.0.message.role": "user",
                "llm.input_messages.0.message.contents.0.message_content.type": "image",
                "llm.input_messages.0.message.contents.0.message_content.image.image.url": "u",
            }
        )
    )
    [message] = conversation(log.request["body"], log.response["body"])
    assert message.parts[0].kind == "image"


def test_the_semantic_conventions_win_when_a_span_speaks_several():
    log = stored(span({"gen_ai.request.model": "semconv-model", "llm.model_name": "oi-model"}))
    assert log.model == "semconv-model"


@pytest.mark.parametrize(
    "status_code, attributes, expected",
    [
        ("UNSET", {}, (200, True)),
        ("OK", {"http.response.status_code": 201}, (201, True)),
        ("ERROR", {}, (500, False)),
        ("ERROR", {"http.response.status_code": 429}, (429, False)),
        ("ERROR", {"http.response.status_code": 200}, (500, False)),
        ("UNSET", {"http.status_code": 404}, (404, False)),
        ("UNSET", {"http.status_code": 9999}, (200, True)),
    ],
)
def test_span_status_and_http_status_decide_success(status_code, attributes, expected):
    log = stored(span(attributes, status_code=status_code))
    assert (log.status, log.is_success) == expected


def test_times_ids_and_names_come_from_the_span():
    log = stored(span(parent_span_id="0000000000000000", name="embeddings"))
    assert log.created_at == datetime.fromtimestamp(START / 1e9, tz=UTC)
    assert log.latency_ms == 250
    assert (log.trace_id, log.span_id, log.parent_span_id) == (TRACE, SPAN, "")
    assert log.span_name == "embeddings"


def test_span_attributes_override_the_resource_and_nest_as_dotted_keys():
    log = stored(
        span(
            flatten_attributes({"team": "search", "db": {"system": "postgresql", "rows": 3}}),
            resource={"service.name": "api", "team": "platform"},
            kind="CLIENT",
            scope_name="my.lib",
        )
    )
    assert log.metadata["team"] == "search"
    assert log.metadata["service.name"] == "api"
    assert log.metadata["db.system"] == "postgresql"
    assert log.metadata_index["db.rows"] == "3"
    assert log.metadata["otel.span.kind"] == "CLIENT"
    assert log.metadata["otel.scope.name"] == "my.lib"


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"trace_id": "ab" * 15}, "trace_id must be 16 bytes, got 15"),
        (
            {"trace_id": "0" * 32},
            "trace_id is all zeros, which OpenTelemetry reserves for 'invalid'",
        ),
        ({"span_id": "ab" * 9}, "span_id must be 8 bytes, got 9"),
        ({"parent_span_id": "ab"}, "parent_span_id must be empty or 8 bytes, got 1"),
        ({"start_time_unix_nano": 0}, "start_time_unix_nano is missing"),
        ({"end_time_unix_nano": START - 1}, "end_time_unix_nano is before start_time_unix_nano"),
        (
            {"attributes": {f"a{i}": i for i in range(1_001)}},
            "has 1001 attributes; the limit is 1000",
        ),
    ],
)
def test_it_names_what_is_wrong_with_a_span(fields, problem):
    assert span_problem(span(**fields)) == problem


def test_a_valid_span_has_no_problem():
    assert span_problem(span()) is None


def test_the_rejection_message_counts_all_and_lists_the_first_ten():
    rejections = [Rejection(i, SPAN, "bad") for i in range(12)]
    message = rejection_message(rejections)
    assert message.startswith("12 spans rejected: spans[0] (span 00f067aa0ba902b7): bad; ")
    assert message.endswith("spans[9] (span 00f067aa0ba902b7): bad; and 2 more")
