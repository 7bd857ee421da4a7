"""OTLP/HTTP's wire: an `ExportTraceServiceRequest` in protobuf or in OTLP's JSON, decoded with
the official `opentelemetry-proto` messages into the domain's `Span` values, and answers
(`ExportTraceServiceResponse`, or a `google.rpc.Status` for errors) in the request's encoding.
"""

import base64
import math

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError, EncodeError
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanMessage
from opentelemetry.proto.trace.v1.trace_pb2 import Status as StatusMessage
from rest_framework import exceptions
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

from logstore.ingestion.otlp import Span, SpanEvent, flatten_attributes

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
# Decoded AnyValues nest no deeper than this; protobuf's own parser stops at 100 levels.
MAX_VALUE_DEPTH = 32

# google.rpc.Code for each HTTP status the API answers with.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 413: 8, 415: 3, 429: 8, 503: 14}
GRPC_INTERNAL = 13


def media_type(request) -> str:
    return request.META.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()


def request_encoding(request) -> str:
    """PROTOBUF or JSON; anything else is refused with a 415."""
    kind = media_type(request)
    if kind in (PROTOBUF, JSON):
        return kind
    raise exceptions.UnsupportedMediaType(
        kind,
        "OTLP/HTTP takes Content-Type: application/x-protobuf or application/json, "
        f"not {kind or 'none'}.",
    )


def decode_spans(raw: bytes, encoding: str) -> list[Span]:
    """Every span of the request, in order; a body that is not OTLP is a 400."""
    message = ExportTraceServiceRequest()
    if encoding == PROTOBUF:
        try:
            message.ParseFromString(raw)
        except (DecodeError, RecursionError):
            raise exceptions.ParseError(
                "The body is not a protobuf ExportTraceServiceRequest."
            ) from None
    else:
        _parse_json(raw, message)
    try:
        return [
            _span(span, resource, scope_spans.scope)
            for resource_spans in message.resource_spans
            for resource in (_attributes(resource_spans.resource.attributes),)
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]
    except _TooDeep:
        raise exceptions.ParseError(
            f"An attribute value nests more than {MAX_VALUE_DEPTH} levels deep."
        ) from None


def _parse_json(raw, message):
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise exceptions.ParseError("The body must be a JSON ExportTraceServiceRequest object.")
    try:
        _hex_ids_to_base64(document)
        json_format.ParseDict(document, message, ignore_unknown_fields=True)
    except (json_format.ParseError, _BadId, RecursionError) as exc:
        raise exceptions.ParseError(
            f"The body is not a JSON ExportTraceServiceRequest: {exc}"
        ) from None


class _BadId(ValueError):
    pass


class _TooDeep(ValueError):
    pass


_ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _hex_ids_to_base64(document):
    """OTLP's JSON writes ids in hex where protobuf's JSON mapping expects base64."""
    for resource_spans in _items(document, "resourceSpans", "resource_spans"):
        for scope_spans in _items(resource_spans, "scopeSpans", "scope_spans"):
            for span in _items(scope_spans, "spans"):
                _convert_ids(span)
                for link in _items(span, "links"):
                    _convert_ids(link)


def _items(parent, *names):
    if not isinstance(parent, dict):
        return []
    for name in names:
        value = parent.get(name)
        if isinstance(value, list):
            return value
    return []


def _convert_ids(obj):
    if not isinstance(obj, dict):
        return
    for name in _ID_FIELDS:
        value = obj.get(name)
        if isinstance(value, str):
            try:
                obj[name] = base64.b64encode(bytes.fromhex(value)).decode()
            except ValueError:
                raise _BadId(f"{name} {value[:40]!r} is not hexadecimal") from None


def _span(span, resource, scope) -> Span:
    return Span(
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=span.parent_span_id.hex(),
        name=span.name,
        kind=SpanMessage.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_")
        if span.kind in SpanMessage.SpanKind.values()
        else str(span.kind),
        start_time_unix_nano=span.start_time_unix_nano,
        end_time_unix_nano=span.end_time_unix_nano,
        status_code=StatusMessage.StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_")
        if span.status.code in StatusMessage.StatusCode.values()
        else "UNSET",
        status_message=span.status.message,
        attributes=_attributes(span.attributes),
        events=tuple(
            SpanEvent(e.name, e.time_unix_nano, _attributes(e.attributes)) for e in span.events
        ),
        links=tuple(
            {
                "trace_id": link.trace_id.hex(),
                "span_id": link.span_id.hex(),
                "attributes": _attributes(link.attributes),
            }
            for link in span.links
        ),
        resource=resource,
        scope_name=scope.name,
        scope_version=scope.version,
    )


def _attributes(key_values) -> dict:
    return flatten_attributes({kv.key: _value(kv.value, 0) for kv in key_values})


def _value(any_value, depth):
    if depth > MAX_VALUE_DEPTH:
        raise _TooDeep()
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(v, depth + 1) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value, depth + 1) for kv in any_value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(any_value.bytes_value).decode()
    value = getattr(any_value, kind)
    if kind == "double_value" and not math.isfinite(value):
        return str(value)  # JSON, and so the stored log, has no NaN or infinity
    return value


# --- answers ----------------------------------------------------------------------------------


def export_response(data) -> ExportTraceServiceResponse:
    message = ExportTraceServiceResponse()
    partial = data.get("partial_success") if isinstance(data, dict) else None
    if partial:
        message.partial_success.rejected_spans = partial["rejected_spans"]
        message.partial_success.error_message = partial["error_message"]
    return message


def status_message(data, http_status) -> status_pb2.Status:
    text = data.get("message", "") if isinstance(data, dict) else ""
    return status_pb2.Status(code=GRPC_CODES.get(http_status, GRPC_INTERNAL), message=str(text))


class OtlpProtobufRenderer(BaseRenderer):
    media_type = PROTOBUF
    format = "protobuf"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        status = renderer_context["response"].status_code
        message = status_message(data, status) if status >= 400 else export_response(data)
        try:
            return message.SerializeToString()
        except EncodeError:
            return b""


class OtlpJSONRenderer(BaseRenderer):
    """Success as OTLP's JSON; errors in the API's error shape, plus the gRPC `code`."""

    media_type = JSON
    format = "json"
    charset = None  # JSON is UTF-8 by definition; the rest of the API sends no charset either

    def render(self, data, accepted_media_type=None, renderer_context=None):
        status = renderer_context["response"].status_code
        if status >= 400:
            body = {"code": GRPC_CODES.get(status, GRPC_INTERNAL), **(data or {})}
        else:
            body = json_format.MessageToDict(export_response(data))
        return orjson.dumps(body)


class OtlpResponse(Response):
    """A success answer. Protobuf's empty ExportTraceServiceResponse is zero bytes, for which
    DRF would drop the Content-Type that OTLP requires to match the request's."""

    @property
    def rendered_content(self):
        content = super().rendered_content
        self["Content-Type"] = self.accepted_renderer.media_type
        return content


def renderable(response):
    """An error answer DRF's renderers will put in the request's encoding. The
    database-unavailable answer is a plain JsonResponse, built outside DRF."""
    if isinstance(response, Response) or response is None:
        return response
    rendered = Response(orjson.loads(response.content), status=response.status_code)
    for header, value in response.items():
        if header.lower() not in ("content-type", "content-length"):
            rendered[header] = value
    return rendered


def renderer_for(request) -> BaseRenderer:
    """Answers go in the request's encoding, whatever it Accepts; JSON when it is neither."""
    if media_type(request) == PROTOBUF:
        return OtlpProtobufRenderer()
    return OtlpJSONRenderer()
