"""How a stored log is shown to API clients and exports: one shape everywhere."""

from decimal import Decimal

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
    "cached_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "streaming",
)
# What the call cost: USD (null when no price is known, which is not $0) and where the price
# came from: client, override, bundled (price_ref names the table's version) or none.
COST_FIELDS = ("cost", "cost_currency", "price_source", "price_ref")


def cost_text(amount: Decimal | None) -> str:
    """A cost as plain decimal text without trailing zeros ("0.000075"), "" for no price."""
    if amount is None:
        return ""
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def cost_display(amount: Decimal | None) -> str:
    """A cost for people: cents where it is a dollar or more, three significant digits below
    a cent ("$0.00000315"), and "no price" when none is known (never "$0")."""
    if amount is None:
        return "no price"
    if amount == 0:
        return "$0"
    if amount >= 1:
        return f"${amount:,.2f}"
    if amount >= Decimal("0.01"):
        return f"${amount:.4f}"
    places = 2 - amount.adjusted()
    return f"${amount.quantize(Decimal(1).scaleb(-places)):f}"


def cost_fields(log) -> dict:
    return {
        "cost": float(log.cost_usd) if log.cost_usd is not None else None,
        "cost_currency": "USD",
        "price_source": log.price_source or "none",
        "price_ref": log.price_ref,
    }


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
    data.update(cost_fields(log))
    data["metrics"] = {
        "status": log.status,
        "latency_ms": log.latency_ms,
        "prompt_tokens": log.prompt_tokens,
        "completion_tokens": log.completion_tokens,
        "total_tokens": log.total_tokens,
        "cost": data["cost"],
    }
    if include_bodies:
        data["request"] = log.request
        data["response"] = log.response
    data["metadata"] = log.metadata
    return data
