"""Spans from the real OpenTelemetry SDK, and the real OTLP/HTTP exporter pointed at a live
server the way Portkey's documentation says: two environment variables."""

import base64

import pytest
import requests
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

OTLP_PATH = "/v1/otel/v1/traces"


class Recorder:
    """A tracer whose finished spans are kept in memory until they are exported."""

    def __init__(self, service="checkout", **resource):
        self.memory = InMemorySpanExporter()
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": service, **resource})
        )
        self.provider.add_span_processor(SimpleSpanProcessor(self.memory))
        self.tracer = self.provider.get_tracer("tests.otlp", "1.0")

    def spans(self):
        return self.memory.get_finished_spans()


@pytest.fixture
def recorder():
    made = []

    def make(**kwargs):
        made.append(Recorder(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.provider.shutdown()


@pytest.fixture
def otlp_exporter(live_server, api_key, monkeypatch):
    """The official exporter configured only by the two variables Portkey documents."""

    def make(compression=None, key=None):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"{live_server.url}/v1/otel")
        monkeypatch.setenv(
            "OTEL_EXPORTER_OTLP_HEADERS", f"x-portkey-api-key={(key or api_key).raw}"
        )
        if compression:
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", compression)
        return OTLPSpanExporter()

    return make


def otlp_json(spans) -> dict:
    """The spans in OTLP's JSON encoding: protobuf's JSON mapping, with ids in hex."""
    document = json_format.MessageToDict(encode_spans(spans))
    for resource_spans in document.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for name in ("traceId", "spanId", "parentSpanId"):
                    if name in span:
                        span[name] = base64.b64decode(span[name]).hex()
    return document


def otlp_protobuf(spans) -> bytes:
    return encode_spans(spans).SerializeToString()


@pytest.fixture
def post_otlp(live_server, api_key):
    """POST a raw body to the OTLP endpoint of the live server."""

    def post(body, content_type="application/x-protobuf", path=OTLP_PATH, headers=None, key=None):
        return requests.post(
            f"{live_server.url}{path}",
            data=body,
            headers={
                "Content-Type": content_type,
                "x-portkey-api-key": (key or api_key).raw,
                **(headers or {}),
            },
            timeout=60,
        )

    return post
