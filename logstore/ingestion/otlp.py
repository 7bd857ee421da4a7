"""OpenTelemetry spans as Portkey logs: each span becomes the raw log item `POST /logs` takes.

Pure: the HTTP layer decodes OTLP into `Span` values, this module checks a span and maps it,
and the one normaliser then stores it like any other log. What a span means to an LLM log
(model, tokens, user, messages) is read through one table per convention: the OpenTelemetry
GenAI semantic conventions, OpenLLMetry (Traceloop) and OpenInference (Arize); the first
convention with a value wins.
"""

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from logstore.core.jsoncodec import dumps, loads

# The SDKs' own default limit is 128 attributes a span; ten times that is a client gone wrong.
MAX_SPAN_ATTRIBUTES = 1_000
MAX_SPAN_EVENTS = 1_000
# Longer values stay whole in the stored request's `otel.attributes`, not in metadata (which
# is indexed for `key=value` filters and shown in lists).
MAX_METADATA_VALUE_CHARS = 1_024
# Keeps the response readable when a whole batch is rejected; the count is always exact.
MAX_REJECTIONS_LISTED = 10

STATUS_ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class SpanEvent:
    name: str
    time_unix_nano: int
    attributes: Mapping


@dataclass(frozen=True, slots=True)
class Span:
    """One OTLP span with its resource and scope; ids in lowercase hex, values as Python."""

    trace_id: str
    span_id: str
    name: str
    start_time_unix_nano: int
    end_time_unix_nano: int
    parent_span_id: str = ""
    kind: str = "INTERNAL"
    status_code: str = "UNSET"
    status_message: str = ""
    attributes: Mapping = field(default_factory=dict)
    events: tuple[SpanEvent, ...] = ()
    links: tuple[Mapping, ...] = ()
    resource: Mapping = field(default_factory=dict)
    scope_name: str = ""
    scope_version: str = ""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A span refused: its position among the request's spans and why."""

    index: int
    span_id: str
    reason: str

    def __str__(self):
        span = f" (span {self.span_id})" if self.span_id else ""
        return f"spans[{self.index}]{span}: {self.reason}"


def rejection_message(rejections) -> str:
    listed = "; ".join(str(r) for r in rejections[:MAX_REJECTIONS_LISTED])
    more = len(rejections) - MAX_REJECTIONS_LISTED
    if more > 0:
        listed += f"; and {more} more"
    noun = "span" if len(rejections) == 1 else "spans"
    return f"{len(rejections)} {noun} rejected: {listed}"


_HEX = re.compile(r"[0-9a-f]*")


def span_problem(span: Span) -> str | None:
    """Why the span cannot be stored, or None."""
    for name, value, length in (("trace_id", span.trace_id, 32), ("span_id", span.span_id, 16)):
        if len(value) != length or not _HEX.fullmatch(value):
            return f"{name} must be {length // 2} bytes, got {len(value) // 2}"
        if not value.strip("0"):
            return f"{name} is all zeros, which OpenTelemetry reserves for 'invalid'"
    parent = span.parent_span_id
    if parent and (len(parent) != 16 or not _HEX.fullmatch(parent)):
        return f"parent_span_id must be empty or 8 bytes, got {len(parent) // 2}"
    if span.start_time_unix_nano <= 0:
        return "start_time_unix_nano is missing"
    if span.end_time_unix_nano < span.start_time_unix_nano:
        return "end_time_unix_nano is before start_time_unix_nano"
    attributes = len(span.attributes) + len(span.resource)
    if attributes > MAX_SPAN_ATTRIBUTES:
        return f"has {attributes} attributes; the limit is {MAX_SPAN_ATTRIBUTES}"
    if len(span.events) > MAX_SPAN_EVENTS:
        return f"has {len(span.events)} events; the limit is {MAX_SPAN_EVENTS}"
    return None


# --- the conventions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Convention:
    """Where one instrumentation convention keeps what a Portkey log promotes."""

    name: str
    provider: tuple[str, ...] = ()
    request_model: tuple[str, ...] = ()
    response_model: tuple[str, ...] = ()
    response_id: tuple[str, ...] = ()
    input_tokens: tuple[str, ...] = ()
    output_tokens: tuple[str, ...] = ()
    total_tokens: tuple[str, ...] = ()
    user: tuple[str, ...] = ()
    session: tuple[str, ...] = ()
    # attribute -> the OpenAI request-body field it becomes
    parameters: Mapping[str, str] = field(default_factory=dict)
    # Attributes holding message content: kept out of metadata, shown as the conversation.
    content_keys: tuple[str, ...] = ()
    content_prefixes: tuple[str, ...] = ()
    # (span) -> (request messages, response choices), OpenAI-shaped; empty when absent
    messages: Callable[[Span], tuple[list, list]] = lambda span: ([], [])

    def owns_content(self, key: str) -> bool:
        return key in self.content_keys or key.startswith(self.content_prefixes)


def _semconv_messages(span):
    attributes = span.attributes
    messages = []
    system = _json(attributes.get("gen_ai.system_instructions"))
    if isinstance(system, list) and system:
        messages.append({"role": "system", "content": _parts_content(system)})
    elif isinstance(system, str) and system:
        messages.append({"role": "system", "content": system})
    for raw in _list(_json(attributes.get("gen_ai.input.messages"))):
        if isinstance(raw, Mapping):
            messages.append(_semconv_message(raw))
    choices = []
    for index, raw in enumerate(_list(_json(attributes.get("gen_ai.output.messages")))):
        if isinstance(raw, Mapping):
            choices.append(_choice(index, _semconv_message(raw), raw.get("finish_reason")))
    if messages or choices:
        return messages, choices
    return _semconv_event_messages(span)


def _semconv_message(raw):
    """{"role", "parts": [{"type": "text", "content"}, {"type": "tool_call", ...}]} as OpenAI's."""
    role = raw.get("role") if isinstance(raw.get("role"), str) else "user"
    if "parts" not in raw:
        return _openai_message(raw, role)
    message = {"role": role, "content": None}
    texts, calls = [], []
    for part in _list(raw.get("parts")):
        if not isinstance(part, Mapping):
            continue
        kind = part.get("type")
        if kind == "tool_call":
            calls.append(_tool_call(part.get("id"), part.get("name"), part.get("arguments")))
        elif kind == "tool_call_response":
            message["role"] = "tool"
            message["tool_call_id"] = _text(part.get("id"))
            texts.append(_text(part.get("response", part.get("result"))))
        elif "content" in part:
            texts.append(_text(part.get("content")))
    if texts:
        message["content"] = "\n".join(texts)
    if calls:
        message["tool_calls"] = calls
    return message


def _parts_content(parts):
    return "\n".join(
        _text(p.get("content")) for p in parts if isinstance(p, Mapping) and "content" in p
    )


# Span events of the GenAI conventions before the messages moved into attributes (1.28-1.36),
# and the older `gen_ai.content.*` events (1.26-1.27).
_EVENT_ROLES = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}


def _semconv_event_messages(span):
    messages, choices = [], []
    for event in span.events:
        attributes = _unflatten(event.attributes)
        if event.name in _EVENT_ROLES:
            messages.append(
                _openai_message(attributes, attributes.get("role") or _EVENT_ROLES[event.name])
            )
        elif event.name == "gen_ai.choice":
            message = _json(attributes.get("message"))
            message = message if isinstance(message, Mapping) else {}
            index = _int(attributes.get("index"))
            choices.append(
                _choice(
                    len(choices) if index is None else index,
                    _openai_message(message, "assistant"),
                    attributes.get("finish_reason"),
                )
            )
        elif event.name == "gen_ai.content.prompt":
            messages.extend(_message_list(attributes.get("gen_ai.prompt")))
        elif event.name == "gen_ai.content.completion":
            for message in _message_list(attributes.get("gen_ai.completion")):
                choices.append(_choice(len(choices), message, None))
    return messages, choices


def _openllmetry_messages(span):
    messages = [
        _openai_message(fields, "user")
        for fields in _indexed(span.attributes, "gen_ai.prompt.")
        if fields
    ]
    choices = []
    for index, fields in enumerate(_indexed(span.attributes, "gen_ai.completion.")):
        message = _openai_message(fields, "assistant")
        calls = [
            _tool_call(call.get("id"), call.get("name"), call.get("arguments"))
            for call in _indexed(fields, "tool_calls.")
        ]
        if calls:
            message["tool_calls"] = calls
        choices.append(_choice(index, message, fields.get("finish_reason")))
    return messages, choices


def _openinference_messages(span):
    messages = [
        _openinference_message(fields)
        for fields in _indexed(span.attributes, "llm.input_messages.")
    ]
    choices = [
        _choice(index, _openinference_message(fields), None)
        for index, fields in enumerate(_indexed(span.attributes, "llm.output_messages."))
    ]
    return messages, choices


def _openinference_message(fields):
    role = fields.get("message.role")
    message = {"role": role if isinstance(role, str) else "user", "content": None}
    if "message.content" in fields:
        message["content"] = _text(fields["message.content"])
    else:
        parts = []
        for part in _indexed(fields, "message.contents."):
            if part.get("message_content.type") == "image":
                url = _text(part.get("message_content.image.image.url"))
                parts.append({"type": "image_url", "image_url": {"url": url}})
            else:
                parts.append({"type": "text", "text": _text(part.get("message_content.text"))})
        if parts:
            message["content"] = parts
    calls = [
        _tool_call(
            call.get("tool_call.id"),
            call.get("tool_call.function.name"),
            call.get("tool_call.function.arguments"),
        )
        for call in _indexed(fields, "message.tool_calls.")
    ]
    if calls:
        message["tool_calls"] = calls
    if fields.get("message.tool_call_id"):
        message["tool_call_id"] = _text(fields["message.tool_call_id"])
    if fields.get("message.name"):
        message["name"] = _text(fields["message.name"])
    return message


GENAI_SEMCONV = Convention(
    name="OpenTelemetry GenAI",
    provider=("gen_ai.provider.name", "gen_ai.system"),
    request_model=("gen_ai.request.model",),
    response_model=("gen_ai.response.model",),
    response_id=("gen_ai.response.id",),
    input_tokens=("gen_ai.usage.input_tokens",),
    output_tokens=("gen_ai.usage.output_tokens",),
    user=("user.id", "enduser.id"),
    session=("gen_ai.conversation.id", "session.id"),
    parameters={
        "gen_ai.request.temperature": "temperature",
        "gen_ai.request.top_p": "top_p",
        "gen_ai.request.max_tokens": "max_tokens",
        "gen_ai.request.frequency_penalty": "frequency_penalty",
        "gen_ai.request.presence_penalty": "presence_penalty",
        "gen_ai.request.stop_sequences": "stop",
        "gen_ai.request.seed": "seed",
    },
    content_keys=("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions"),
    messages=_semconv_messages,
)

OPENLLMETRY = Convention(
    name="OpenLLMetry",
    provider=("gen_ai.system", "llm.vendor"),
    request_model=("gen_ai.request.model", "llm.request.model"),
    response_model=("gen_ai.response.model", "llm.response.model"),
    input_tokens=("gen_ai.usage.prompt_tokens", "llm.usage.prompt_tokens"),
    output_tokens=("gen_ai.usage.completion_tokens", "llm.usage.completion_tokens"),
    total_tokens=("llm.usage.total_tokens",),
    user=("llm.user", "traceloop.association.properties.user_id"),
    session=("traceloop.association.properties.session_id",),
    content_prefixes=("gen_ai.prompt.", "gen_ai.completion."),
    messages=_openllmetry_messages,
)

OPENINFERENCE = Convention(
    name="OpenInference",
    provider=("llm.provider", "llm.system"),
    request_model=("llm.model_name",),
    input_tokens=("llm.token_count.prompt",),
    output_tokens=("llm.token_count.completion",),
    total_tokens=("llm.token_count.total",),
    user=("user.id",),
    session=("session.id",),
    content_prefixes=("llm.input_messages.", "llm.output_messages."),
    messages=_openinference_messages,
)

CONVENTIONS = (GENAI_SEMCONV, OPENLLMETRY, OPENINFERENCE)

# Free-form input and output of any span (a chain, an agent step, a tool): OpenInference's
# `input.value` and OpenLLMetry's workflow/task `traceloop.entity.*`. Shown as a prompt and a
# completion when the span carries no messages.
INPUT_KEYS = ("input.value", "traceloop.entity.input")
OUTPUT_KEYS = ("output.value", "traceloop.entity.output")

HTTP_URL_KEYS = ("url.full", "http.url")
HTTP_METHOD_KEYS = ("http.request.method", "http.method")
HTTP_STATUS_KEYS = ("http.response.status_code", "http.status_code")
ENVIRONMENT_KEYS = ("deployment.environment.name", "deployment.environment")

# Each field's attribute names across the conventions, in the order they are tried.
_NAMES = {
    name: tuple(dict.fromkeys(key for c in CONVENTIONS for key in getattr(c, name)))
    for name in (
        "provider",
        "request_model",
        "response_model",
        "response_id",
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "user",
        "session",
    )
}

_CONTENT_KEYS = frozenset(
    key for c in CONVENTIONS for key in c.content_keys + INPUT_KEYS + OUTPUT_KEYS
)
_CONTENT_PREFIXES = tuple(prefix for c in CONVENTIONS for prefix in c.content_prefixes)


def _is_content(key: str) -> bool:
    return key in _CONTENT_KEYS or key.startswith(_CONTENT_PREFIXES)


# --- the mapping ------------------------------------------------------------------------------


def span_to_log(span: Span) -> dict:
    """The Portkey log item for one span (checked first with `span_problem`)."""
    attributes = span.attributes
    lookup = _Lookup(attributes, span.resource)

    request_body = {}
    model = lookup.first(_NAMES["request_model"])
    if model:
        request_body["model"] = model
    for convention in CONVENTIONS:
        for key, name in convention.parameters.items():
            if key in attributes and name not in request_body:
                request_body[name] = attributes[key]
    _merge_invocation_parameters(request_body, attributes.get("llm.invocation_parameters"))

    messages, choices, consumed = [], [], set()
    for convention in CONVENTIONS:
        messages, choices = convention.messages(span)
        if messages or choices:
            consumed.update(k for k in attributes if convention.owns_content(k))
            break
    if messages:
        request_body["messages"] = messages
    prompt_key, prompt = lookup.first_item(INPUT_KEYS)
    if not messages and prompt is not None:
        request_body["prompt"] = _text(prompt)
        consumed.add(prompt_key)
    completion_key, completion = lookup.first_item(OUTPUT_KEYS)
    if not choices and completion is not None and "prompt" in request_body:
        choices = [{"index": 0, "text": _text(completion)}]
        consumed.add(completion_key)

    response_body = {}
    response_model = lookup.first(_NAMES["response_model"])
    if response_model:
        response_body["model"] = response_model
    response_id = lookup.first(_NAMES["response_id"])
    if response_id:
        response_body["id"] = response_id
    if choices:
        response_body["choices"] = choices
    usage = _usage(lookup)
    if usage:
        response_body["usage"] = usage

    metadata, kept = _metadata(span)
    kept = {k: v for k, v in kept.items() if k not in consumed}
    user = lookup.first(_NAMES["user"])
    if user is not None:
        metadata["_user"] = _text(user)
    session = lookup.first(_NAMES["session"])
    if session is not None:
        metadata["session_id"] = _text(session)
    environment = lookup.first(ENVIRONMENT_KEYS)
    if environment is not None:
        metadata["_environment"] = _text(environment)

    request = {"body": request_body, "otel": _otel_record(span, kept)}
    provider = lookup.first(_NAMES["provider"])
    if provider is not None:
        request["provider"] = _text(provider)
    url = lookup.first(HTTP_URL_KEYS)
    if isinstance(url, str):
        request["url"] = url
    method = lookup.first(HTTP_METHOD_KEYS)
    if isinstance(method, str):
        request["method"] = method

    return {
        "trace_id": span.trace_id,
        "span_id": span.span_id,
        "parent_span_id": span.parent_span_id if span.parent_span_id.strip("0") else "",
        "span_name": span.name,
        "created_at": _iso(span.start_time_unix_nano),
        "request": request,
        "response": {
            "status": _status(span, lookup.first(HTTP_STATUS_KEYS)),
            "response_time": round((span.end_time_unix_nano - span.start_time_unix_nano) / 1e6, 3),
            "body": response_body,
        },
        "metadata": metadata,
    }


class _Lookup:
    """The first present attribute of a list of names; the span's before the resource's."""

    def __init__(self, attributes, resource):
        self.sources = (attributes, resource)

    def first(self, names):
        return self.first_item(names)[1]

    def first_item(self, names):
        for source in self.sources:
            for name in names:
                value = source.get(name)
                if value is not None and value != "":
                    return name, value
        return None, None


def _usage(lookup):
    usage = {}
    for key, names in (
        ("prompt_tokens", _NAMES["input_tokens"]),
        ("completion_tokens", _NAMES["output_tokens"]),
        ("total_tokens", _NAMES["total_tokens"]),
    ):
        value = _int(lookup.first(names))
        if value is not None:
            usage[key] = value
    return usage


def _status(span, http_status):
    code = _int(http_status)
    valid = code if code is not None and 100 <= code <= 599 else None
    if span.status_code == STATUS_ERROR:
        # An error span with no failing HTTP status is a failure all the same.
        return valid if valid is not None and valid >= 400 else 500
    return valid if valid is not None else 200


def _metadata(span):
    """Flattened resource and span attributes (the span's win), and the rest: message content
    and values too large for metadata, to be kept whole in the stored request."""
    metadata, oversized = {}, {}
    for source in (span.resource, span.attributes):
        for key, value in source.items():
            if _is_content(key):
                oversized[key] = value
                continue
            text = value if isinstance(value, str) else dumps(value)
            if len(text) > MAX_METADATA_VALUE_CHARS:
                oversized[key] = value
                metadata.pop(key, None)
            else:
                metadata[key] = value
                oversized.pop(key, None)
    metadata["otel.span.kind"] = span.kind
    metadata["otel.status_code"] = span.status_code
    if span.status_message:
        metadata["otel.status_description"] = span.status_message[:MAX_METADATA_VALUE_CHARS]
    if span.scope_name:
        metadata["otel.scope.name"] = span.scope_name
    if span.scope_version:
        metadata["otel.scope.version"] = span.scope_version
    return metadata, oversized


def _otel_record(span, attributes):
    """What the span says beyond the log's columns and metadata, kept whole in the request."""
    record = {"kind": span.kind, "status": {"code": span.status_code}}
    if span.status_message:
        record["status"]["message"] = span.status_message
    if span.scope_name:
        record["scope"] = {"name": span.scope_name, "version": span.scope_version}
    if attributes:
        record["attributes"] = attributes
    if span.events:
        record["events"] = [
            {"name": e.name, "time": _iso(e.time_unix_nano), "attributes": dict(e.attributes)}
            for e in span.events
        ]
    if span.links:
        record["links"] = list(span.links)
    return record


def _merge_invocation_parameters(body, raw):
    parameters = _json(raw)
    if isinstance(parameters, Mapping):
        for key, value in parameters.items():
            if isinstance(key, str) and key not in body and key not in ("messages", "prompt"):
                body[key] = value


# --- helpers ----------------------------------------------------------------------------------


def flatten_attributes(attributes: Mapping, prefix: str = "") -> dict:
    """OTLP key-value lists nest; metadata keys are dotted (`llm.invocation.temperature`)."""
    flat = {}
    for key, value in attributes.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_attributes(value, f"{name}."))
        else:
            flat[name] = value
    return flat


_INDEX = re.compile(r"(\d{1,6})\.(.+)", re.DOTALL)


def _indexed(attributes: Mapping, prefix: str) -> list[dict]:
    """`prefix.0.role`, `prefix.0.content`, `prefix.1.role`... as [{role, content}, ...]."""
    items = {}
    for key, value in attributes.items():
        if not key.startswith(prefix):
            continue
        match = _INDEX.fullmatch(key[len(prefix) :])
        if match:
            items.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [items[i] for i in sorted(items)]


def _unflatten(attributes: Mapping) -> dict:
    """Event attributes as a nested object: `message.role` and `message` {role} alike."""
    nested = {}
    for key, value in attributes.items():
        head, dot, rest = key.partition(".")
        if dot and head in ("message", "tool_calls") and not key.startswith("gen_ai."):
            inner = nested.setdefault(head, {})
            if isinstance(inner, dict):
                inner[rest] = value
        else:
            nested[key] = value
    return nested


def _openai_message(raw: Mapping, role: str) -> dict:
    message = {"role": raw.get("role") if isinstance(raw.get("role"), str) else role}
    content = _json(raw.get("content")) if _looks_like_parts(raw.get("content")) else None
    message["content"] = content if content is not None else _content(raw.get("content"))
    calls = _json(raw.get("tool_calls"))
    if isinstance(calls, list) and calls:
        message["tool_calls"] = [
            _tool_call(
                call.get("id"),
                (call.get("function") or {}).get("name", call.get("name")),
                (call.get("function") or {}).get("arguments", call.get("arguments")),
            )
            for call in calls
            if isinstance(call, Mapping)
        ]
    for key in ("tool_call_id", "name"):
        if raw.get(key):
            message[key] = _text(raw[key])
    if "id" in raw and message["role"] == "tool" and "tool_call_id" not in message:
        message["tool_call_id"] = _text(raw["id"])
    return message


def _looks_like_parts(value):
    # OpenLLMetry writes multimodal content as the JSON text of OpenAI's list of parts.
    return isinstance(value, str) and value.startswith('[{"type"')


def _content(value):
    if value is None or isinstance(value, list):
        return value
    return _text(value)


def _message_list(raw) -> list[dict]:
    return [_openai_message(m, "user") for m in _list(_json(raw)) if isinstance(m, Mapping)]


def _choice(index, message, finish_reason):
    choice = {"index": index, "message": message}
    if isinstance(finish_reason, str) and finish_reason:
        choice["finish_reason"] = finish_reason
    return choice


def _tool_call(call_id, name, arguments):
    return {
        "id": _text(call_id),
        "type": "function",
        "function": {"name": _text(name), "arguments": _text(arguments)},
    }


def _json(value):
    """A JSON document given as text (how the conventions carry structures), else the value."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return loads(value)
        except ValueError:
            return value
    return value


def _list(value):
    return value if isinstance(value, list) else []


def _text(value) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return dumps(value)


def _int(value) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) else None


def _iso(unix_nano: int) -> str:
    seconds, nanos = divmod(unix_nano, 1_000_000_000)
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=nanos // 1000)
    except (OverflowError, OSError, ValueError):
        return ""
    return moment.isoformat()
