"""Turns one raw Portkey log, plus the headers of the request that carried it, into a row.

A pure function: no database, no settings, no clock. The rules follow what the official
Portkey clients actually send (Python and JS SDKs, the LangChain/LlamaIndex handlers and the
OpenTelemetry exporter), which is looser than the published schema.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from logstore.core.ids import uuid7
from logstore.core.jsoncodec import JSONDepthError, depth_exceeds, dumps, loads
from logstore.core.redaction import mask_headers
from logstore.ingestion.searchtext import preview_text, search_text

# Promoted columns are indexed; a b-tree entry must stay well under PostgreSQL's ~2.7 kB cap.
MAX_INDEXED_TEXT = 256
MAX_URL = 4096
MAX_METHOD = 16
MAX_PROVIDER = 128
MAX_INT = 2**31 - 1
# A reported cost above this is a unit mix-up, not one LLM call; it would also overflow the column.
MAX_COST_USD = Decimal(10**9)

TRACE_FIELDS = {
    # column: (top-level spellings, metadata camelCase, metadata snake_case, header)
    "trace_id": (("trace_id", "traceId"), "traceId", "trace_id", "x-portkey-trace-id"),
    "span_id": (("span_id", "spanId"), "spanId", "span_id", "x-portkey-span-id"),
    "parent_span_id": (
        ("parent_span_id", "parentSpanId"),
        "parentSpanId",
        "parent_span_id",
        "x-portkey-parent-span-id",
    ),
    "span_name": (("span_name", "spanName"), "spanName", "span_name", "x-portkey-span-name"),
}
EVENT_TIME_KEYS = ("createdAt", "created_at", "start_time", "startTime")
LATENCY_KEYS = ("response_time", "time", "responseTime")

# Hosts of the common providers' APIs, matched as suffixes of the request URL's host.
PROVIDER_HOSTS = (
    ("openai.azure.com", "azure-openai"),
    ("api.openai.com", "openai"),
    ("api.anthropic.com", "anthropic"),
    ("generativelanguage.googleapis.com", "google"),
    ("aiplatform.googleapis.com", "vertex-ai"),
    ("api.mistral.ai", "mistral-ai"),
    ("api.cohere.ai", "cohere"),
    ("api.cohere.com", "cohere"),
    ("api.groq.com", "groq"),
    ("api.together.xyz", "together-ai"),
    ("openrouter.ai", "openrouter"),
    ("api.deepseek.com", "deepseek"),
    ("api.x.ai", "x-ai"),
    ("api.perplexity.ai", "perplexity-ai"),
    ("api.fireworks.ai", "fireworks-ai"),
    ("amazonaws.com", "bedrock"),
    ("localhost", "ollama"),
)
URL_MODEL_PATTERNS = (
    re.compile(r"/models/([^/:]+)[:/]"),  # Google: /v1beta/models/gemini-pro:generateContent
    re.compile(r"/model/([^/]+)/(?:invoke|converse)"),  # Bedrock: /model/<id>/invoke
    re.compile(r"/deployments/([^/]+)/"),  # Azure OpenAI: /openai/deployments/<name>/...
)


class NormalizationError(ValueError):
    """A value in the log that cannot be interpreted; `path` names the field."""

    def __init__(self, path, message):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class HeaderDefaults:
    """What the request's `x-portkey-*` headers say about every log in it."""

    trace: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping = field(default_factory=dict)
    store_content: bool = True

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> "HeaderDefaults":
        lower = {k.lower(): v for k, v in headers.items()}
        trace = {}
        for column, (*_, header) in TRACE_FIELDS.items():
            value = _clean_text(lower.get(header, ""), MAX_INDEXED_TEXT)
            if value:
                trace[column] = value
        metadata = {}
        raw_metadata = lower.get("x-portkey-metadata")
        if raw_metadata:
            # Portkey's gateway treats an unparsable metadata header as {}; so do we.
            try:
                parsed = loads(raw_metadata)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and not depth_exceeds(parsed):
                metadata = parsed
        store_content = str(lower.get("x-portkey-debug", "")).strip().lower() != "false"
        return cls(trace=trace, metadata=metadata, store_content=store_content)


@dataclass(slots=True)
class NormalizedLog:
    created_at: datetime
    received_at: datetime
    trace_id: str
    span_id: str
    parent_span_id: str
    span_name: str
    user: str
    organization: str
    environment: str
    provider: str
    model: str
    method: str
    url: str
    status: int | None
    is_success: bool
    latency_ms: int | None
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    streaming: bool
    request: dict
    response: dict
    metadata: dict | None
    metadata_index: dict
    search_text: str
    preview: str
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    # Set here only when the client reported a cost; otherwise pricing fills them in.
    cost_usd: Decimal | None = None
    price_source: str = ""
    price_ref: str = ""


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """A response's token counts. `prompt` includes the cache reads and writes, `completion`
    includes reasoning, whatever the provider's own convention."""

    prompt: int | None = None
    completion: int | None = None
    total: int | None = None
    cached: int | None = None
    cache_write: int | None = None
    reasoning: int | None = None


def normalize_log(
    item: Mapping,
    defaults: HeaderDefaults,
    *,
    received_at: datetime,
    masked_headers: frozenset[str] = frozenset(),
) -> NormalizedLog:
    """Derive the promoted columns of one log. `item` must be a JSON object."""
    request = item.get("request")
    request = request if isinstance(request, Mapping) else {}
    response = item.get("response")
    response = response if isinstance(response, Mapping) else {}
    item_metadata = item.get("metadata")
    if isinstance(item_metadata, Mapping):
        metadata = {**defaults.metadata, **item_metadata}
    elif defaults.metadata:
        metadata = dict(defaults.metadata)
    else:
        metadata = None
    md = metadata or {}
    request_body = request.get("body")
    request_body = request_body if isinstance(request_body, Mapping) else {}
    response_body = response.get("body")
    response_body = response_body if isinstance(response_body, Mapping) else {}

    trace = {column: _trace_value(column, item, md, defaults) for column in TRACE_FIELDS}
    if not trace["trace_id"]:
        trace["trace_id"] = str(uuid7())

    status = _status(response.get("status"))
    url = _clean_text(request.get("url"), MAX_URL)
    usage = token_usage(response_body)
    client_cost = _client_cost(item, response_body)

    stored_request = _mask_headers(dict(request), masked_headers)
    stored_response = _mask_headers(dict(response), masked_headers)
    if not defaults.store_content:
        for part in (stored_request, stored_response):
            part.pop("body", None)
            part.pop("headers", None)

    return NormalizedLog(
        created_at=_event_time(item, md, received_at),
        received_at=received_at,
        trace_id=trace["trace_id"],
        span_id=trace["span_id"],
        parent_span_id=trace["parent_span_id"],
        span_name=trace["span_name"],
        user=_first_text(
            md.get("_user"), md.get("user"), md.get("user_id"), request_body.get("user")
        ),
        organization=_first_text(
            md.get("_organisation"), md.get("_organization"), md.get("organization")
        ),
        environment=_first_text(md.get("_environment"), md.get("environment")),
        provider=_provider(request, url),
        model=_model(request_body, response_body, url),
        # Upper-casing can lengthen text ("ß" becomes "SS"), so cut after it.
        method=(_clean_text(request.get("method"), None).upper() or "POST")[:MAX_METHOD],
        url=url,
        status=status,
        is_success=status is None or 200 <= status < 300,
        latency_ms=_latency(response, md),
        prompt_tokens=usage.prompt,
        completion_tokens=usage.completion,
        total_tokens=usage.total,
        cached_tokens=usage.cached,
        cache_write_tokens=usage.cache_write,
        reasoning_tokens=usage.reasoning,
        cost_usd=client_cost,
        price_source="client" if client_cost is not None else "",
        streaming=bool(response.get("streamingMode") is True or request_body.get("stream") is True),
        request=stored_request,
        response=stored_response,
        metadata=metadata,
        metadata_index=_metadata_index(md),
        search_text=search_text(stored_request, stored_response),
        preview=preview_text(stored_request, stored_response),
    )


def metadata_index(metadata: Mapping) -> dict:
    """Top-level metadata as {key: text}, the form `key=value` filters compare against."""
    index = {}
    for key, value in metadata.items():
        text = metadata_value_text(value)
        if text is not None:
            index[_clean_text(key, None)] = text
    return index


def _metadata_index(metadata: Mapping) -> dict:
    try:
        return metadata_index(metadata)
    except JSONDepthError:
        raise NormalizationError("metadata", "is nested too deeply to index") from None
    except ValueError as exc:  # NaN from a caller that did not come through the JSON parser
        raise NormalizationError("metadata", str(exc)) from None


def metadata_value_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _clean_text(value, None)
    if isinstance(value, int | float):
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return str(value)
    return _clean_text(dumps(value), None)


def _trace_value(column, item, metadata, defaults):
    top_level, camel, snake, _ = TRACE_FIELDS[column]
    candidates = [item.get(name) for name in top_level]
    candidates += [metadata.get(camel), metadata.get(snake), defaults.trace.get(column)]
    return _first_text(*candidates)


def _first_text(*values) -> str:
    """The first value that is a non-empty string or a number, as text."""
    for value in values:
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            return str(value)[:MAX_INDEXED_TEXT]
        if isinstance(value, float):
            if math.isfinite(value):
                text = str(int(value)) if value.is_integer() else str(value)
                return text[:MAX_INDEXED_TEXT]
            continue
        if isinstance(value, str):
            text = _clean_text(value, MAX_INDEXED_TEXT)
            if text:
                return text
    return ""


def _clean_text(value, limit) -> str:
    """Text a database column accepts: no NUL, no lone surrogates, at most `limit` chars."""
    if not isinstance(value, str):
        return ""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    value = value.strip()
    return value[:limit] if limit else value


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _count(value) -> int | None:
    number = _number(value)
    if number is None or number < 0:
        return None
    return min(int(round(number)), MAX_INT)


def _status(value) -> int | None:
    if value is None:
        return 200  # the schema's default
    number = _number(value)
    if number is None or not number.is_integer() or not 100 <= number <= 599:
        raise NormalizationError("response.status", "must be an HTTP status code (100-599)")
    return int(number)


def _latency(response, metadata) -> int | None:
    for key in LATENCY_KEYS:
        if key in response:
            value = _count(response[key])
            if value is not None:
                return value
    # The OpenTelemetry exporter also sends span bounds in nanoseconds.
    start, end = _number(metadata.get("startTime")), _number(metadata.get("endTime"))
    if start is not None and end is not None and end >= start:
        return _count((end - start) / 1e6)
    return None


def token_usage(body) -> TokenUsage:
    """Token counts from an OpenAI (chat or Responses), Anthropic or Gemini response body."""
    usage = body.get("usage")
    if isinstance(usage, Mapping):
        prompt = _count(usage.get("prompt_tokens"))
        completion = _count(usage.get("completion_tokens"))
        cached = _count(_nested(usage, "prompt_tokens_details", "cached_tokens"))
        reasoning = _count(_nested(usage, "completion_tokens_details", "reasoning_tokens"))
        cache_write = None
        if prompt is None and completion is None:
            # Anthropic and OpenAI's Responses API. Anthropic's input_tokens leaves out the
            # cache reads and writes; the Responses API's includes its cache reads.
            cache_write = _count(usage.get("cache_creation_input_tokens"))
            cached = _count(usage.get("cache_read_input_tokens"))
            parts = [_count(usage.get("input_tokens")), cache_write, cached]
            present = [p for p in parts if p is not None]
            prompt = min(sum(present), MAX_INT) if present else None
            completion = _count(usage.get("output_tokens"))
            if cached is None:
                cached = _count(_nested(usage, "input_tokens_details", "cached_tokens"))
            reasoning = _count(_nested(usage, "output_tokens_details", "reasoning_tokens"))
        total = _count(usage.get("total_tokens"))
    else:
        google = body.get("usageMetadata")
        if not isinstance(google, Mapping):
            return TokenUsage()
        prompt = _count(google.get("promptTokenCount"))
        completion = _count(google.get("candidatesTokenCount"))
        cached = _count(google.get("cachedContentTokenCount"))
        cache_write = None
        # Gemini counts thinking apart from the candidates, and bills it as output.
        reasoning = _count(google.get("thoughtsTokenCount"))
        if reasoning is not None:
            completion = min((completion or 0) + reasoning, MAX_INT)
        total = _count(google.get("totalTokenCount"))
    if total is None and (prompt is not None or completion is not None):
        total = min((prompt or 0) + (completion or 0), MAX_INT)
    return TokenUsage(prompt, completion, total, cached, cache_write, reasoning)


def _nested(mapping, outer, inner):
    value = mapping.get(outer)
    return value.get(inner) if isinstance(value, Mapping) else None


def _client_cost(item, response_body) -> Decimal | None:
    """The cost in USD the log reports: a top-level `cost` (as Portkey's own log objects
    carry), else `usage.cost` in the response (OpenRouter reports what it charged there)."""
    if item.get("cost") is not None:
        currency = item.get("cost_currency")
        if currency is not None and str(currency).strip().upper() != "USD":
            raise NormalizationError("cost_currency", "only USD costs are accepted")
        cost = _usd(item["cost"])
        if cost is None:
            raise NormalizationError("cost", "must be a non-negative number of US dollars")
        return cost
    usage = response_body.get("usage")
    if isinstance(usage, Mapping) and usage.get("cost") is not None:
        return _usd(usage["cost"])
    return None


def _usd(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        # Through str(), so 0.1 stays 0.1 rather than the binary float's long expansion.
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_COST_USD:
        return None
    return amount.quantize(Decimal("1e-12"))


def _event_time(item, metadata, received_at) -> datetime:
    for source in (item, metadata):
        for key in EVENT_TIME_KEYS:
            if key in source:
                parsed = parse_time(source[key])
                # A clock far off (or a unit we misread) must not file the log in another era.
                if parsed and datetime(2000, 1, 1, tzinfo=UTC) <= parsed <= (
                    received_at + timedelta(days=1)
                ):
                    return parsed
    return received_at


def parse_time(value) -> datetime | None:
    """ISO 8601 text, or epoch seconds/ms/µs/ns (told apart by magnitude)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except (ValueError, OverflowError):
            pass
    number = _number(value)
    if number is None or number <= 0:
        return None
    # Seconds now are ~1.8e9, milliseconds ~1.8e12, microseconds ~1.8e15, nanoseconds ~1.8e18.
    if number >= 1e17:
        divisor = 1e9
    elif number >= 1e14:
        divisor = 1e6
    elif number >= 1e11:
        divisor = 1e3
    else:
        divisor = 1
    try:
        return datetime.fromtimestamp(number / divisor, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _provider(request, url) -> str:
    explicit = _first_text(request.get("provider"))
    if explicit:
        return explicit.lower()[:MAX_PROVIDER]
    if not url:
        return ""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    for suffix, name in PROVIDER_HOSTS:
        if host == suffix or host.endswith("." + suffix):
            return name
    return ""


def _model(request_body, response_body, url) -> str:
    model = _first_text(
        request_body.get("model"), response_body.get("model"), response_body.get("modelVersion")
    )
    if model or not url:
        return model
    for pattern in URL_MODEL_PATTERNS:
        match = pattern.search(url)
        if match:
            return _clean_text(match.group(1), MAX_INDEXED_TEXT)
    return ""


def _mask_headers(part: dict, masked: frozenset[str]) -> dict:
    headers = part.get("headers")
    if isinstance(headers, Mapping):
        part["headers"] = mask_headers(headers, masked)
    return part
