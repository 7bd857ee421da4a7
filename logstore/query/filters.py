"""The one definition of "which logs": shared by the admin, the web UI, the read API and exports.

Every surface cleans the query parameters it received with `LogFilter` and asks the log
store (`logstore.storage`) for the `LogCriteria` they mean, scoped to the caller's
workspaces. Parameters, all optional and combined with AND:

    since=15m|1h|24h|7d|30d    or  start=<ISO time or epoch>  end=<…>  (explicit times win)
    q=<text>  (full-text search over prompts and responses; see logstore/query/search.py)
    trace_id=a,b  (or repeated)   span_id  user  organization  environment  provider  model
    model_contains  user_contains  url_contains  span_name_contains  (case-insensitive)
    status=200,429  status_class=2xx,5xx   success=true|false
    latency_min  latency_max (ms)   tokens_min  tokens_max (total)   streaming=true|false
    prompt_tokens_min/max  completion_tokens_min/max   provider_model=openai__gpt-4o,...
    metadata=key=value  (repeatable; every pair must match the value's text form)
    feedback_min  feedback_max  (the trace's weighted feedback: sum(value*weight)/sum(weight))
    cost_min  cost_max (USD)   priced=true|false (false: the logs shown as "no price")
"""

from datetime import UTC, datetime, timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from logstore.ingestion.normalize import parse_time
from logstore.ingestion.searchtext import fold
from logstore.models import Log
from logstore.storage.port import CONTAINS_COLUMNS, EQUALITY_COLUMNS, LogCriteria

TIME_PRESETS = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
STATUS_CLASSES = {"1xx": 100, "2xx": 200, "3xx": 300, "4xx": 400, "5xx": 500}
MAX_METADATA_PAIRS = 20
MAX_ID_LENGTH = 256  # the trace_id and span_id columns' size
MAX_SEARCH_LENGTH = 200
# (lower bound, upper bound, what they bound): a range whose low end passes its high end is
# a typo, not an empty result.
RANGES = (
    ("latency_min", "latency_max", "latency"),
    ("tokens_min", "tokens_max", "tokens"),
    ("prompt_tokens_min", "prompt_tokens_max", "prompt tokens"),
    ("completion_tokens_min", "completion_tokens_max", "completion tokens"),
    ("feedback_min", "feedback_max", "feedback"),
)
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})
# (column, lower-bound parameter, upper-bound parameter), both bounds inclusive.
RANGE_PARAMETERS = (
    ("latency_ms", "latency_min", "latency_max"),
    ("total_tokens", "tokens_min", "tokens_max"),
    ("prompt_tokens", "prompt_tokens_min", "prompt_tokens_max"),
    ("completion_tokens", "completion_tokens_min", "completion_tokens_max"),
    ("cost_usd", "cost_min", "cost_max"),
)


class MultipleValueField(forms.Field):
    """A repeatable parameter (`?metadata=a=1&metadata=b=2`); commas do not split values."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        if any("\x00" in v for v in value if isinstance(v, str)):
            # As Django's CharField does: no database column can hold NUL.
            raise forms.ValidationError("Null characters are not allowed.", code="null_characters")
        return [v.strip() for v in value if v and v.strip()]


class CommaSeparatedField(MultipleValueField):
    """A repeatable parameter whose values may also be comma-separated (`trace_id=a,b`)."""

    def to_python(self, value):
        values = []
        for item in super().to_python(value):
            values.extend(part.strip() for part in item.split(",") if part.strip())
        return values


def parse_metadata_pair(text: str) -> tuple[str, str]:
    """`key=value` (or `key:value` when there is no `=`) as a (key, value) pair."""
    separator = "=" if "=" in text else ":"
    key, sep, value = text.partition(separator)
    key = key.strip()
    if not sep or not key:
        raise forms.ValidationError(
            f"Metadata filter {text!r} must look like key=value.", code="metadata"
        )
    return key, value.strip()


class MetadataPairsField(MultipleValueField):
    def to_python(self, value):
        pairs = [parse_metadata_pair(item) for item in super().to_python(value)]
        if len(pairs) > MAX_METADATA_PAIRS:
            raise forms.ValidationError(f"At most {MAX_METADATA_PAIRS} metadata filters.")
        return pairs


class IdListField(CommaSeparatedField):
    def to_python(self, value):
        ids = super().to_python(value)
        for item in ids:
            if len(item) > MAX_ID_LENGTH:
                raise forms.ValidationError(
                    f"An id is at most {MAX_ID_LENGTH} characters; one here has {len(item):,}."
                )
        return ids


class StrictBooleanField(forms.Field):
    """true/false (or 1/0, yes/no); anything else is an error, not a silent "any"."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise forms.ValidationError(f"{value!r} is not true or false.", code="boolean")


class EventTimeField(forms.Field):
    """ISO 8601 (a time without an offset is UTC) or epoch seconds/ms, as ingest accepts."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        # parse_time refuses an offset that would leave the calendar; ISO still reads it.
        parsed = parse_time(value) or _iso_or_none(value)
        if parsed is None:
            raise forms.ValidationError(
                f"{value!r} is not a time: use ISO 8601 (2026-01-31T23:00:00Z) or epoch seconds.",
                code="time",
            )
        return clamp_time(parsed)


def _iso_or_none(value):
    try:
        parsed = parse_datetime(str(value).strip())
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


class LogFilterForm(forms.Form):
    """Checks between parameters: a window that ends before it starts, inverted ranges."""

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start >= end:
            self.add_error("end", f"must be after start ({start:%Y-%m-%d %H:%M:%S} UTC).")
        for low, high, what in RANGES:
            lowest, highest = data.get(low), data.get(high)
            if lowest is not None and highest is not None and lowest > highest:
                self.add_error(
                    high, f"the {what} maximum ({highest:g}) is below its minimum ({lowest:g})."
                )
        return data


class StatusField(CommaSeparatedField):
    def to_python(self, value):
        codes = []
        for item in super().to_python(value):
            if not item.isdigit() or not 100 <= int(item) <= 599:
                raise forms.ValidationError(f"{item!r} is not an HTTP status code.")
            codes.append(int(item))
        return codes


class StatusClassField(CommaSeparatedField):
    def to_python(self, value):
        classes = [item.lower() for item in super().to_python(value)]
        unknown = [c for c in classes if c not in STATUS_CLASSES]
        if unknown:
            raise forms.ValidationError(
                f"Unknown status class {unknown[0]!r}; use {', '.join(STATUS_CLASSES)}."
            )
        return classes


class ProviderModelField(CommaSeparatedField):
    """Portkey's `ai_org_model`: `provider__model` pairs, comma-separated."""

    def to_python(self, value):
        pairs = []
        for item in super().to_python(value):
            provider, sep, model = item.partition("__")
            if not sep or not provider or not model:
                raise forms.ValidationError(f"{item!r} must look like provider__model.")
            pairs.append((provider, model))
        return pairs


# Every stored log lies between these (ingest files far-off event times at their arrival), so
# a bound beyond them selects the same logs once clamped, and date arithmetic near year 1 or
# 9999, or an offset PostgreSQL refuses (beyond ±15:59), can no longer fail a query.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def clamp_time(value: datetime) -> datetime:
    """`value` in UTC, within [EARLIEST, LATEST]."""
    try:
        value = value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is in year 0; 9999-12-31T23:59-14:00 in 10000
        return EARLIEST if value.year < 2000 else LATEST
    return min(max(value, EARLIEST), LATEST)


class ListFilter(django_filters.Filter):
    field_class = IdListField


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class EventTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = EventTimeField


class StatusFilter(django_filters.Filter):
    field_class = StatusField


class StatusClassFilter(django_filters.Filter):
    field_class = StatusClassField


class MetadataFilter(django_filters.Filter):
    field_class = MetadataPairsField


class ProviderModelFilter(django_filters.Filter):
    field_class = ProviderModelField


class LogFilter(django_filters.FilterSet):
    since = django_filters.ChoiceFilter(choices=[(k, k) for k in TIME_PRESETS], label="Time range")
    start = EventTimeFilter(field_name="created_at", lookup_expr="gte")
    end = EventTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(
        max_length=MAX_SEARCH_LENGTH, label="Text in prompts and responses"
    )
    trace_id = ListFilter(label="Trace id(s)")
    span_id = ListFilter(label="Span id(s)")
    user = django_filters.CharFilter()
    organization = django_filters.CharFilter()
    environment = django_filters.CharFilter()
    provider = django_filters.CharFilter()
    model = django_filters.CharFilter()
    model_contains = django_filters.CharFilter(field_name="model", lookup_expr="icontains")
    user_contains = django_filters.CharFilter(field_name="user", lookup_expr="icontains")
    url_contains = django_filters.CharFilter(field_name="url", lookup_expr="icontains")
    span_name_contains = django_filters.CharFilter(field_name="span_name", lookup_expr="icontains")
    status = StatusFilter()
    status_class = StatusClassFilter()
    success = StrictBooleanFilter(field_name="is_success")
    latency_min = django_filters.NumberFilter(field_name="latency_ms", lookup_expr="gte")
    latency_max = django_filters.NumberFilter(field_name="latency_ms", lookup_expr="lte")
    tokens_min = django_filters.NumberFilter(field_name="total_tokens", lookup_expr="gte")
    tokens_max = django_filters.NumberFilter(field_name="total_tokens", lookup_expr="lte")
    prompt_tokens_min = django_filters.NumberFilter(field_name="prompt_tokens", lookup_expr="gte")
    prompt_tokens_max = django_filters.NumberFilter(field_name="prompt_tokens", lookup_expr="lte")
    completion_tokens_min = django_filters.NumberFilter(
        field_name="completion_tokens", lookup_expr="gte"
    )
    completion_tokens_max = django_filters.NumberFilter(
        field_name="completion_tokens", lookup_expr="lte"
    )
    provider_model = ProviderModelFilter(label="Provider__model")
    streaming = StrictBooleanFilter()
    metadata = MetadataFilter()
    feedback_min = django_filters.NumberFilter(label="Weighted feedback at least")
    feedback_max = django_filters.NumberFilter(label="Weighted feedback at most")

    cost_min = django_filters.NumberFilter(
        field_name="cost_usd", lookup_expr="gte", label="Cost at least (USD)"
    )
    cost_max = django_filters.NumberFilter(
        field_name="cost_usd", lookup_expr="lte", label="Cost at most (USD)"
    )
    priced = StrictBooleanFilter(
        field_name="cost_usd", lookup_expr="isnull", exclude=True, label="Has a price"
    )

    class Meta:
        model = Log
        fields = []
        form = LogFilterForm

    def filter_queryset(self, queryset):
        # The ORM's compilation of the same criteria every backend receives.
        from logstore.storage.orm import criteria_q

        criteria = self.criteria(workspace_ids=None)
        if criteria.matches_nothing:
            return queryset.none()
        return queryset.filter(criteria_q(criteria))

    def criteria(self, *, workspace_ids, now=None) -> LogCriteria:
        """The cleaned parameters as one backend-neutral value (call after is_valid())."""
        return criteria_from(self.form.cleaned_data, workspace_ids=workspace_ids, now=now)


def criteria_from(data, *, workspace_ids, now=None) -> LogCriteria:
    """LogFilter's cleaned data as a `LogCriteria`; `since` is resolved against `now`."""
    starts = [data["start"]] if data.get("start") else []
    # An explicit From/To is what the person chose; a preset left in the form must not
    # narrow it to their overlap.
    if data.get("since") and not (data.get("start") or data.get("end")):
        starts.append((now or timezone.now()) - TIME_PRESETS[data["since"]])
    ranges = []
    for column, low, high in RANGE_PARAMETERS:
        bounds = (data.get(low), data.get(high))
        if bounds != (None, None):
            ranges.append((column, *(None if b is None else float(b) for b in bounds)))
    return LogCriteria(
        workspace_ids=None if workspace_ids is None else tuple(workspace_ids),
        start=max(starts) if starts else None,
        end=data.get("end"),
        trace_ids=tuple(data.get("trace_id") or ()),
        span_ids=tuple(data.get("span_id") or ()),
        equals=tuple((c, data[c]) for c in EQUALITY_COLUMNS if data.get(c)),
        statuses=tuple(data.get("status") or ()),
        status_ranges=tuple(
            (STATUS_CLASSES[c], STATUS_CLASSES[c] + 100) for c in data.get("status_class") or ()
        ),
        success=data.get("success"),
        streaming=data.get("streaming"),
        priced=data.get("priced"),
        ranges=tuple(ranges),
        provider_models=tuple(data.get("provider_model") or ()),
        metadata=tuple(data.get("metadata") or ()),
        feedback_min=_float_or_none(data.get("feedback_min")),
        feedback_max=_float_or_none(data.get("feedback_max")),
        text=fold(data.get("q") or "").strip(),
        contains=tuple(
            (column, data[f"{column}_contains"])
            for column in CONTAINS_COLUMNS
            if data.get(f"{column}_contains")
        ),
    )


def _float_or_none(value):
    return None if value is None else float(value)
