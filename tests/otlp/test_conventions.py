"""Span sets as OpenLLMetry (Traceloop) and OpenInference (Arize) instrumentations emit them,
made with the OpenTelemetry SDK and sent to the endpoint: the right columns, user, session and
a conversation the log page can show."""

import json

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.trace import SpanKind

from logstore.models import Log
from logstore.web.conversation import conversation
from tests.otlp.conftest import OTLP_PATH

pytestmark = pytest.mark.django_db


def send(api, spans):
    response = api.generic(
        "POST",
        OTLP_PATH,
        encode_spans(spans).SerializeToString(),
        content_type="application/x-protobuf",
    )
    assert response.status_code == 200, response.content
    return {log.span_name: log for log in Log.objects.all()}


def shown(log):
    return [
        (m.role, " ".join(p.text for p in m.parts), [c.name for c in m.tool_calls])
        for m in conversation(log.request.get("body"), log.response.get("body"))
    ]


def test_it_maps_an_openllmetry_workflow_and_its_openai_call(api, recorder):
    rec = recorder(service="joke-service")
    tracer = rec.tracer
    workflow = {
        "traceloop.span.kind": "workflow",
        "traceloop.workflow.name": "joke_generator",
        "traceloop.entity.name": "joke_generator",
        "traceloop.entity.input": json.dumps({"args": [], "kwargs": {"topic": "otters"}}),
        "traceloop.entity.output": json.dumps("Why did the otter cross the river?"),
        "traceloop.association.properties.user_id": "user-7",
    }
    chat = {
        "llm.request.type": "chat",
        "gen_ai.system": "OpenAI",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.7,
        "gen_ai.request.max_tokens": 100,
        "llm.is_streaming": False,
        "gen_ai.openai.api_base": "https://api.openai.com/v1/",
        "gen_ai.prompt.0.role": "system",
        "gen_ai.prompt.0.content": "You are funny.",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": "Tell me a joke about otters",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.id": "chatcmpl-9",
        "llm.usage.total_tokens": 30,
        "gen_ai.usage.prompt_tokens": 20,
        "gen_ai.usage.completion_tokens": 10,
        "gen_ai.completion.0.finish_reason": "stop",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.content": "Why did the otter cross the river?",
        "traceloop.association.properties.user_id": "user-7",
        "traceloop.association.properties.session_id": "chat-3",
    }
    with (
        tracer.start_as_current_span("joke_generator.workflow", attributes=workflow),
        tracer.start_as_current_span("openai.chat", kind=SpanKind.CLIENT, attributes=chat),
    ):
        pass

    logs = send(api, rec.spans())

    call = logs["openai.chat"]
    assert (call.provider, call.model) == ("openai", "gpt-4o-mini")
    assert (call.prompt_tokens, call.completion_tokens, call.total_tokens) == (20, 10, 30)
    assert call.user == "user-7"
    assert call.metadata["session_id"] == "chat-3"
    assert call.metadata["llm.request.type"] == "chat"
    assert call.response["body"]["model"] == "gpt-4o-mini-2024-07-18"
    assert call.request["body"]["temperature"] == 0.7
    assert shown(call) == [
        ("system", "You are funny.", []),
        ("user", "Tell me a joke about otters", []),
        ("assistant", "Why did the otter cross the river?", []),
    ]
    # Message content is the conversation, not metadata.
    assert not any(key.startswith("gen_ai.prompt.") for key in call.metadata)
    assert call.parent_span_id == logs["joke_generator.workflow"].span_id

    workflow_log = logs["joke_generator.workflow"]
    assert workflow_log.user == "user-7"
    assert shown(workflow_log) == [
        ("prompt", json.dumps({"args": [], "kwargs": {"topic": "otters"}}), []),
        ("completion", json.dumps("Why did the otter cross the river?"), []),
    ]


def test_it_maps_an_openinference_chain_and_its_llm_call_with_a_tool_call(api, recorder):
    rec = recorder(service="rag-app")
    tracer = rec.tracer
    chain = {
        "openinference.span.kind": "CHAIN",
        "input.value": "What's the weather in Oslo?",
        "output.value": "It is 4 °C and raining in Oslo.",
        "session.id": "sess-1",
        "user.id": "ingrid",
        "metadata": json.dumps({"tenant": "nordic"}),
    }
    request = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Weather in Oslo?"}]}
    llm = {
        "openinference.span.kind": "LLM",
        "input.value": json.dumps(request),
        "input.mime_type": "application/json",
        "output.value": json.dumps({"id": "chatcmpl-2", "choices": []}),
        "output.mime_type": "application/json",
        "llm.invocation_parameters": json.dumps({"model": "gpt-4o", "temperature": 0.1}),
        "llm.model_name": "gpt-4o-2024-08-06",
        "llm.provider": "openai",
        "llm.system": "openai",
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "Use tools.",
        "llm.input_messages.1.message.role": "user",
        "llm.input_messages.1.message.contents.0.message_content.type": "text",
        "llm.input_messages.1.message.contents.0.message_content.text": "Weather in Oslo?",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_9",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": json.dumps(
            {"city": "Oslo"}
        ),
        "llm.token_count.prompt": 25,
        "llm.token_count.completion": 7,
        "llm.token_count.total": 32,
        "session.id": "sess-1",
        "user.id": "ingrid",
        "tag.tags": ("weather", "beta"),
    }
    with (
        tracer.start_as_current_span("query", attributes=chain),
        tracer.start_as_current_span("ChatCompletion", attributes=llm),
    ):
        pass

    logs = send(api, rec.spans())

    call = logs["ChatCompletion"]
    assert (call.provider, call.model) == ("openai", "gpt-4o-2024-08-06")
    assert (call.prompt_tokens, call.completion_tokens, call.total_tokens) == (25, 7, 32)
    assert call.user == "ingrid"
    assert call.metadata["session_id"] == "sess-1"
    assert call.metadata["openinference.span.kind"] == "LLM"
    assert call.metadata["tag.tags"] == ["weather", "beta"]
    assert call.metadata_index["service.name"] == "rag-app"
    assert call.request["body"]["temperature"] == 0.1
    assert shown(call) == [
        ("system", "Use tools.", []),
        ("user", "Weather in Oslo?", []),
        ("assistant", "", ["get_weather"]),
    ]
    # The raw request and response the instrumentation recorded stay whole beside the mapping.
    assert json.loads(call.request["otel"]["attributes"]["input.value"]) == request

    chain_log = logs["query"]
    assert chain_log.user == "ingrid"
    assert shown(chain_log) == [
        ("prompt", "What's the weather in Oslo?", []),
        ("completion", "It is 4 °C and raining in Oslo.", []),
    ]
    assert chain_log.metadata["metadata"] == json.dumps({"tenant": "nordic"})
    listed = api.get("/v1/logs", {"metadata": "session_id=sess-1"}).json()["results"]
    assert {log["span_name"] for log in listed} == {"query", "ChatCompletion"}


def test_it_keeps_a_large_attribute_whole_in_the_stored_request_not_in_metadata(api, recorder):
    rec = recorder()
    document = "x" * 100_000
    with rec.tracer.start_as_current_span("retrieve", attributes={"retrieval.document": document}):
        pass

    [log] = send(api, rec.spans()).values()

    assert "retrieval.document" not in log.metadata
    assert log.request["otel"]["attributes"]["retrieval.document"] == document


def test_it_stores_not_a_number_in_an_attribute_and_in_json_text_without_failing(api, recorder):
    rec = recorder()
    attributes = {
        "gen_ai.request.top_k": float("nan"),
        "llm.invocation_parameters": '{"temperature": NaN, "top_p": Infinity, "n": 1}',
    }
    with rec.tracer.start_as_current_span("odd numbers", attributes=attributes):
        pass

    [log] = send(api, rec.spans()).values()

    assert log.metadata["gen_ai.request.top_k"] == "nan"
    assert "temperature" not in log.request["body"]
