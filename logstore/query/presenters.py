"""How a stored log is shown to API clients and exports: one shape everywhere."""

from logstore.core.times import iso

DERIVED_FIELDS = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "span_name",
    "user",
    "organization",
    "environment",
    "provider",
    "model",
    "method",
    "url",
    "status",
    "is_success",
    "latency_ms",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "streaming",
)


def log_as_dict(log, *, include_bodies=True) -> dict:
    data = {
        "id": str(log.id),
        "_id": str(log.id),
        "workspace": log.workspace.slug if "workspace" in log._state.fields_cache else None,
        "created_at": iso(log.created_at),
        "received_at": iso(log.received_at),
    }
    if data["workspace"] is None:
        data.pop("workspace")
    for name in DERIVED_FIELDS:
        data[name] = getattr(log, name)
    data["metrics"] = {
        "status": log.status,
        "latency_ms": log.latency_ms,
        "prompt_tokens": log.prompt_tokens,
        "completion_tokens": log.completion_tokens,
        "total_tokens": log.total_tokens,
    }
    if include_bodies:
        data["request"] = log.request
        data["response"] = log.response
    data["metadata"] = log.metadata
    return data
