"""The official OTLP/HTTP exporter, unchanged, against a live server: a GenAI trace sent the way
Portkey's documentation configures it, then read back through the API and the web pages."""

import gzip
import json
import time
import zlib
from decimal import Decimal

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode

from logstore.models import Log
from tests.otlp.conftest import OTLP_PATH, otlp_json, otlp_protobuf

pytestmark = pytest.mark.django_db(transaction=True)

MS = 1_000_000
QUESTION = "What is the weather in Paris?"
TOOL_CALL = {
    "role": "assistant",
    "tool_calls": [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ],
}


def timed_span(tracer, name, start_ms, end_ms, parent=None, kind=SpanKind.INTERNAL, **attrs):
    """A span with fixed bounds (relative to a minute ago), so latencies are exact."""
    base = BASE_NS
    context = trace.set_span_in_context(parent) if parent is not None else None
    span = tracer.start_span(
        name, context=context, kind=kind, attributes=attrs, start_time=base + start_ms * MS
    )
    span.end_ms = end_ms
    return span


BASE_NS = time.time_ns() - 60_000 * MS


def end(span):
    span.end(end_time=BASE_NS + span.end_ms * MS)


def genai_trace(tracer):
    """An agent run: a chat call that asks for a tool, the tool, and a second chat that fails."""
    root = timed_span(
        tracer, "invoke_agent planner", 0, 2000, **{"gen_ai.operation.name": "invoke_agent"}
    )
    chat = timed_span(
        tracer,
        "chat gpt-4o",
        10,
        1244,
        parent=root,
        kind=SpanKind.CLIENT,
        **{
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.request.temperature": 0.2,
            "gen_ai.response.model": "gpt-4o-2024-08-06",
            "gen_ai.response.id": "chatcmpl-1",
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 34,
            "user.id": "alice",
            "session.id": "s-42",
        },
    )
    chat.add_event("gen_ai.system.message", {"content": "You are a weather bot."})
    chat.add_event("gen_ai.user.message", {"content": QUESTION})
    chat.add_event(
        "gen_ai.choice",
        {"index": 0, "finish_reason": "tool_calls", "message": json.dumps(TOOL_CALL)},
    )
    end(chat)
    tool = timed_span(
        tracer,
        "execute_tool get_weather",
        1250,
        1300,
        parent=root,
        **{"gen_ai.tool.name": "get_weather"},
    )
    end(tool)
    failing = timed_span(
        tracer,
        "chat gpt-4o",
        1310,
        1900,
        parent=root,
        kind=SpanKind.CLIENT,
        **{"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o", "user.id": "alice"},
    )
    failing.record_exception(RuntimeError("upstream timed out"))
    failing.set_status(Status(StatusCode.ERROR, "upstream timed out"))
    end(failing)
    end(root)
    return format(root.get_span_context().trace_id, "032x")


def logs_of(live_server, api_key, trace_id):
    response = requests.get(
        f"{live_server.url}/v1/logs",
        params={"trace_id": trace_id},
        headers={"x-portkey-api-key": api_key.raw},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {
        log["span_name"] + (" failed" if not log["is_success"] else ""): log
        for log in response.json()["results"]
    }


def read_log(live_server, api_key, log_id):
    response = requests.get(
        f"{live_server.url}/v1/logs/{log_id}",
        headers={"x-portkey-api-key": api_key.raw},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("compression", ["gzip", None])
def test_the_exporter_stores_a_genai_trace_readable_through_the_api(
    live_server, api_key, recorder, otlp_exporter, compression
):
    rec = recorder(**{"deployment.environment.name": "production"})
    trace_id = genai_trace(rec.tracer)

    assert otlp_exporter(compression).export(rec.spans()) is SpanExportResult.SUCCESS

    logs = logs_of(live_server, api_key, trace_id)
    assert set(logs) == {
        "invoke_agent planner",
        "chat gpt-4o",
        "execute_tool get_weather",
        "chat gpt-4o failed",
    }
    chat = logs["chat gpt-4o"]
    root = logs["invoke_agent planner"]
    assert chat["parent_span_id"] == root["span_id"] and root["parent_span_id"] == ""
    assert logs["execute_tool get_weather"]["parent_span_id"] == root["span_id"]
    assert (chat["provider"], chat["model"]) == ("openai", "gpt-4o")
    assert (chat["prompt_tokens"], chat["completion_tokens"], chat["total_tokens"]) == (12, 34, 46)
    assert chat["latency_ms"] == 1234 and root["latency_ms"] == 2000
    assert chat["user"] == "alice" and chat["environment"] == "production"
    assert chat["is_success"] and chat["status"] == 200
    assert Decimal(str(chat["cost"])) > 0 and chat["price_source"]  # priced like any log

    detail = read_log(live_server, api_key, chat["id"])
    assert detail["request"]["body"]["messages"] == [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": QUESTION},
    ]
    assert detail["request"]["body"]["temperature"] == 0.2
    [choice] = detail["response"]["body"]["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert detail["metadata"]["service.name"] == "checkout"
    assert detail["metadata"]["session_id"] == "s-42"
    assert detail["metadata"]["gen_ai.operation.name"] == "chat"
    assert detail["metadata"]["otel.scope.name"] == "tests.otlp"
    assert [e["name"] for e in detail["request"]["otel"]["events"]] == [
        "gen_ai.system.message",
        "gen_ai.user.message",
        "gen_ai.choice",
    ]

    failed = read_log(live_server, api_key, logs["chat gpt-4o failed"]["id"])
    assert failed["status"] == 500 and failed["is_success"] is False
    assert failed["metadata"]["otel.status_description"] == "upstream timed out"
    [exception] = failed["request"]["otel"]["events"]
    assert exception["name"] == "exception"
    assert exception["attributes"]["exception.message"] == "upstream timed out"


def test_the_web_trace_page_shows_the_tree_and_the_conversation(
    live_server, api_key, workspace, recorder, otlp_exporter
):
    rec = recorder()
    trace_id = genai_trace(rec.tracer)
    assert otlp_exporter("gzip").export(rec.spans()) is SpanExportResult.SUCCESS
    member = get_user_model().objects.create_user("dev", password="pw-for-tests-only")
    workspace.members.add(member)
    web = Client()
    web.force_login(member)

    page = web.get(f"/traces/{trace_id}/")

    assert page.status_code == 200
    tree = [(row["node"].depth, row["log"].span_name) for row in page.context["rows"]]
    assert tree == [
        (0, "invoke_agent planner"),
        (1, "chat gpt-4o"),
        (1, "execute_tool get_weather"),
        (1, "chat gpt-4o"),
    ]
    assert page.context["trace"].total_tokens == 46
    assert page.context["trace"].errors == 1
    assert page.context["trace"].duration_ms == 2000
    chat = Log.objects.get(trace_id=trace_id, is_success=True, model="gpt-4o")
    detail = web.get(f"/log/{chat.id}/")
    roles = [(m.role, [p.text for p in m.parts]) for m in detail.context["messages_"]]
    assert roles[:2] == [("system", ["You are a weather bot."]), ("user", [QUESTION])]
    assert detail.context["messages_"][2].tool_calls[0].name == "get_weather"
    assert QUESTION in detail.content.decode()


def test_it_accepts_the_json_encoding_and_answers_in_json(
    live_server, api_key, recorder, post_otlp
):
    rec = recorder()
    trace_id = genai_trace(rec.tracer)

    response = post_otlp(json.dumps(otlp_json(rec.spans())), content_type="application/json")

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {}
    logs = logs_of(live_server, api_key, trace_id)
    assert logs["chat gpt-4o"]["total_tokens"] == 46
    assert logs["chat gpt-4o"]["parent_span_id"] == logs["invoke_agent planner"]["span_id"]


@pytest.mark.parametrize("path", ["/otel/v1/traces", "/v1/traces", OTLP_PATH])
def test_it_serves_every_otlp_path_with_a_protobuf_answer(api_key, recorder, post_otlp, path):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    rec = recorder()
    genai_trace(rec.tracer)

    response = post_otlp(
        gzip.compress(otlp_protobuf(rec.spans())), path=path, headers={"Content-Encoding": "gzip"}
    )

    assert response.status_code == 200, response.content
    assert response.headers["Content-Type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert not answer.HasField("partial_success")
    assert Log.objects.filter(workspace=api_key.workspace).count() == 4


def test_it_authenticates_with_a_bearer_token(live_server, api_key, recorder):
    rec = recorder()
    genai_trace(rec.tracer)
    response = requests.post(
        f"{live_server.url}{OTLP_PATH}",
        data=otlp_protobuf(rec.spans()),
        headers={
            "Content-Type": "application/x-protobuf",
            "Authorization": f"Bearer {api_key.raw}",
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert Log.objects.count() == 4


def test_it_accepts_a_deflate_body(api_key, recorder, post_otlp):
    rec = recorder()
    genai_trace(rec.tracer)
    response = post_otlp(
        zlib.compress(otlp_protobuf(rec.spans())), headers={"Content-Encoding": "deflate"}
    )
    assert response.status_code == 200, response.content
    assert Log.objects.count() == 4


def test_the_admin_finds_the_trace_and_shows_each_span(live_server, recorder, otlp_exporter):
    rec = recorder()
    trace_id = genai_trace(rec.tracer)
    assert otlp_exporter("gzip").export(rec.spans()) is SpanExportResult.SUCCESS
    operator = get_user_model().objects.create_superuser("ops", "", "pw-for-tests-only")
    admin = Client()
    admin.force_login(operator)

    listed = admin.get("/admin/logstore/log/", {"q": trace_id})

    assert listed.status_code == 200
    spans = listed.context["cl"].result_list
    assert sorted((s.span_name, s.model, s.user, s.total_tokens or 0) for s in spans) == [
        ("chat gpt-4o", "gpt-4o", "alice", 0),
        ("chat gpt-4o", "gpt-4o", "alice", 46),
        ("execute_tool get_weather", "", "", 0),
        ("invoke_agent planner", "", "", 0),
    ]
    chat = next(s for s in spans if s.total_tokens == 46)
    page = admin.get(f"/admin/logstore/log/{chat.pk}/change/")
    assert page.status_code == 200
    assert QUESTION in page.content.decode()


def test_it_reads_utf8_in_the_metadata_header(api_key, recorder, post_otlp):
    rec = recorder()
    with rec.tracer.start_as_current_span("chat gpt-4o", attributes={"gen_ai.request.model": "x"}):
        pass
    # Sent as UTF-8 bytes, as every SDK does; the WSGI server hands them over as Latin-1 text.
    response = post_otlp(
        otlp_protobuf(rec.spans()),
        headers={"x-portkey-metadata": '{"_user":"José","team":"Zürich"}'.encode()},
    )

    assert response.status_code == 200, response.content
    log = Log.objects.get()
    assert log.user == "José"
    assert log.metadata["team"] == "Zürich"
