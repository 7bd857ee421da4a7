"""Portkey's export filter dialect: its filter forms and paging, as LogFilter parameters.

Accepts the SDK's GenerationsFilterSchema (`total_units_min`, `ai_org_model`, ...), the docs'
`created_at: {gte, lte}` and alias forms, and LogFilter's own names; `page_size` and
`current_page` pick which slice of the matches a job writes.
"""

import math
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from logstore.core.errors import Refused
from logstore.ingestion.normalize import metadata_value_text
from logstore.query.filters import LogFilter

MAX_LOGS_PER_EXPORT = 50_000
# Pages are reached by walking the rows before them; past this, time filters are the way.
MAX_ROWS_SKIPPED = 1_000_000


class ExportError(Refused):
    """A request the export API refuses; `status_code` says how (400, 409)."""

    code = "invalid_export"


# Portkey key: (LogFilter parameter for the lower bound, for the upper bound)
RANGE_KEYS = {
    "total_units": ("tokens_min", "tokens_max"),
    "total_tokens": ("tokens_min", "tokens_max"),
    "prompt_token": ("prompt_tokens_min", "prompt_tokens_max"),
    "request_tokens": ("prompt_tokens_min", "prompt_tokens_max"),
    "completion_token": ("completion_tokens_min", "completion_tokens_max"),
    "response_tokens": ("completion_tokens_min", "completion_tokens_max"),
    "weighted_feedback": ("feedback_min", "feedback_max"),
    "response_time": ("latency_min", "latency_max"),
    "cost": ("cost_min", "cost_max"),  # US dollars
}
PAGING_KEYS = {"page_size", "current_page"}


def _number(key, value):
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ExportError(f"filters.{key} must be a number.")
    try:
        number = float(value)
    except ValueError:
        raise ExportError(f"filters.{key} must be a number.") from None
    if not math.isfinite(number):
        raise ExportError(f"filters.{key} must be a finite number.")
    return int(number) if number.is_integer() else number


def _time(key, value) -> datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ExportError(f"filters.{key} must be an ISO 8601 date-time.")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.UTC)
    return parsed


def _shifted(key, moment, delta):
    try:
        return moment + delta
    except OverflowError:
        raise ExportError(f"filters.{key} is out of range.") from None


def _listed(value) -> list[str]:
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(v).strip() for v in items if str(v).strip()]


def _bounds(key, spec) -> tuple:
    """(low, high, low_inclusive, high_inclusive) of a `{gte, lte, gt, lt}` object or a value."""
    if not isinstance(spec, Mapping):
        return spec, spec, True, True
    unknown = set(spec) - {"gte", "gt", "lte", "lt", "eq"}
    if unknown:
        raise ExportError(f"filters.{key} takes gte, gt, lte, lt or eq, not {sorted(unknown)[0]}.")
    if "eq" in spec:
        return spec["eq"], spec["eq"], True, True
    low = spec.get("gte", spec.get("gt"))
    high = spec.get("lte", spec.get("lt"))
    return low, high, "gt" not in spec, "lt" not in spec


def _set(params, name, value):
    if name in params and params[name] != value:
        raise ExportError(f"Two filters set {name} to different values.")
    params[name] = value


def filters_to_params(filters) -> dict:
    """Portkey export filters as LogFilter parameters (a dict of strings or lists of strings).

    Accepts the SDK's GenerationsFilterSchema (`total_units_min`, `ai_org_model`, ...), the
    docs' `created_at: {gte, lte}` and alias forms (`ai_provider`, `request_tokens`...), and
    LogFilter's own parameter names. Unknown keys are refused rather than silently ignored:
    an export of everything is not what someone who misspelled a filter wanted.
    """
    if filters is None:
        return {}
    if not isinstance(filters, Mapping):
        raise ExportError("filters must be a JSON object.")
    params: dict = {}
    own = set(LogFilter.base_filters)
    for key, value in filters.items():
        if value is None or key in PAGING_KEYS:
            continue
        if key in {"time_of_generation_min", "time_of_generation_max", "created_at"}:
            if key == "created_at":
                low, high, low_incl, high_incl = _bounds(key, value)
            elif key.endswith("_min"):
                low, high, low_incl, high_incl = value, None, True, True
            else:
                low, high, low_incl, high_incl = None, value, True, True
            tick = timedelta(microseconds=1)
            if low is not None:
                start = _shifted(key, _time(key, low), timedelta(0) if low_incl else tick)
                _set(params, "start", start.isoformat())
            if high is not None:
                end = _shifted(key, _time(key, high), tick if high_incl else timedelta(0))
                _set(params, "end", end.isoformat())
        elif key.removesuffix("_min") in RANGE_KEYS and key.endswith("_min"):
            _set(params, RANGE_KEYS[key.removesuffix("_min")][0], str(_number(key, value)))
        elif key.removesuffix("_max") in RANGE_KEYS and key.endswith("_max"):
            _set(params, RANGE_KEYS[key.removesuffix("_max")][1], str(_number(key, value)))
        elif key in RANGE_KEYS:
            low, high, low_incl, high_incl = _bounds(key, value)
            low_name, high_name = RANGE_KEYS[key]
            if low is not None:
                low = _number(key, low)
                _set(params, low_name, str(low if low_incl else _exclusive(key, low, +1)))
            if high is not None:
                high = _number(key, high)
                _set(params, high_name, str(high if high_incl else _exclusive(key, high, -1)))
        elif key in {"ai_model", "model"}:
            _set(params, "model", str(value))
        elif key in {"ai_provider", "ai_org", "provider"}:
            _set(params, "provider", str(value))
        elif key == "ai_org_model":
            _set(params, "provider_model", _listed(value))
        elif key in {"status_code", "status"}:
            _set(params, "status", _listed(value))
        elif key in {"trace_id", "span_id"}:
            _set(params, key, _listed(value))
        elif key == "metadata":
            _set(params, "metadata", _metadata_pairs(value))
        elif key in own:
            _set(params, key, value if isinstance(value, list) else str(value))
        else:
            raise ExportError(f"Unknown filter {key!r}.", code="unknown_filter")
    return params


def _exclusive(key, value, step):
    if isinstance(value, int):
        return value + step
    raise ExportError(f"filters.{key}: gt and lt need whole numbers; use gte or lte.")


def _metadata_pairs(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    if not isinstance(value, Mapping):
        raise ExportError("filters.metadata must be an object of key: value pairs.")
    pairs = []
    for key, item in value.items():
        text = metadata_value_text(item)
        if text is None:
            raise ExportError(f"filters.metadata.{key} must not be null.")
        pairs.append(f"{key}={text}")
    return pairs


def page_limits(filters) -> tuple[int, int]:
    """(rows to skip, rows to write): `page_size` (≤ 50,000) and `current_page` from 0."""
    filters = filters if isinstance(filters, Mapping) else {}
    size = filters.get("page_size")
    page = filters.get("current_page")
    size = MAX_LOGS_PER_EXPORT if size is None else int(_number("page_size", size))
    page = 0 if page is None else int(_number("current_page", page))
    if not 1 <= size <= MAX_LOGS_PER_EXPORT:
        raise ExportError(f"filters.page_size must be between 1 and {MAX_LOGS_PER_EXPORT}.")
    if page < 0:
        raise ExportError("filters.current_page must be 0 or more.")
    if page * size > MAX_ROWS_SKIPPED:
        raise ExportError(
            f"filters.current_page × page_size may not pass {MAX_ROWS_SKIPPED:,} logs; "
            "narrow the export with time_of_generation_min/max instead."
        )
    return page * size, size
