"""The benchmark's logs as OpenTelemetry: each log a span with GenAI-convention attributes, 100
spans to an OTLP `ExportTraceServiceRequest`; and the very logs those spans become, as
`POST /logs` bodies, so both routes store the same rows."""

from datetime import datetime

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span


def _attribute(key, value) -> KeyValue:
    kv = KeyValue(key=key)
    if isinstance(value, bool):
        kv.value.bool_value = value
    elif isinstance(value, int):
        kv.value.int_value = value
    elif isinstance(value, float):
        kv.value.double_value = value
    else:
        kv.value.string_value = value if isinstance(value, str) else orjson.dumps(value).decode()
    return kv


def _parts(content):
    return [
        {
            "type": "text",
            "content": content if isinstance(content, str) else orjson.dumps(content).decode(),
        }
    ]


def span_attributes(item) -> dict:
    request, response = item["request"], item["response"]
    body, answer = request.get("body") or {}, response.get("body") or {}
    usage = answer.get("usage") or {}
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": body.get("model", ""),
        "gen_ai.response.model": answer.get("model", ""),
        "gen_ai.input.messages": [
            {"role": m.get("role", "user"), "parts": _parts(m.get("content"))}
            for m in body.get("messages", body.get("contents", []))
        ],
        "gen_ai.output.messages": [
            {"role": "assistant", "parts": _parts(c.get("message", {}).get("content"))}
            for c in answer.get("choices", [])
        ]
        or [{"role": "assistant", "parts": _parts(answer.get("content", answer))}],
        "url.full": request["url"],
    }
    if request.get("provider"):
        attributes["gen_ai.provider.name"] = request["provider"]
    for key, name in (("prompt_tokens", "input_tokens"), ("completion_tokens", "output_tokens")):
        if isinstance(usage.get(key), int):
            attributes[f"gen_ai.usage.{name}"] = usage[key]
    for key, value in (item.get("metadata") or {}).items():
        attributes["user.id" if key == "_user" else key] = value
    return attributes


def span(item) -> Span:
    start = int(datetime.fromisoformat(item["createdAt"]).timestamp() * 1e9)
    message = Span(
        trace_id=bytes.fromhex(item["trace_id"]),
        span_id=bytes.fromhex(item["span_id"]),
        parent_span_id=bytes.fromhex(item["parent_span_id"]),
        name=item["span_name"],
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(item["response"].get("response_time", 0)) * 1_000_000,
    )
    message.attributes.extend(_attribute(k, v) for k, v in span_attributes(item).items())
    return message


def export_requests(items, size=100) -> list[bytes]:
    bodies = []
    for i in range(0, len(items), size):
        request = ExportTraceServiceRequest()
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.append(_attribute("service.name", "bench"))
        resource_spans.scope_spans.add().spans.extend(span(item) for item in items[i : i + size])
        bodies.append(request.SerializeToString())
    return bodies


def as_post_logs_bodies(export_bodies) -> list[bytes]:
    """Each OTLP body as the `POST /logs` array of the logs it becomes (needs Django set up)."""
    from ingest.otlp import PROTOBUF, decode_spans
    from logstore.ingestion.otlp import span_to_log

    return [
        orjson.dumps([span_to_log(s) for s in decode_spans(body, PROTOBUF)])
        for body in export_bodies
    ]
