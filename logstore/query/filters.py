"""The one definition of "which logs": shared by the admin, the web UI, the read API and exports.

Every surface scopes the queryset to the caller's workspaces first, then applies `LogFilter`
to the query parameters it received. Parameters, all optional and combined with AND:

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

from datetime import timedelta

import django_filters
from django import forms
from django.db import connection
from django.db.models import Exists, F, FloatField, OuterRef, Q, Sum, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, NullIf
from django.utils import timezone

from logstore.ingestion.normalize import parse_time
from logstore.models import Feedback, Log
from logstore.query.search import filter_search

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
        parsed = parse_time(value)
        if parsed is None:
            raise forms.ValidationError(
                f"{value!r} is not a time: use ISO 8601 (2026-01-31T23:00:00Z) or epoch seconds.",
                code="time",
            )
        return parsed


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


class ListFilter(django_filters.Filter):
    field_class = IdListField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


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
    since = django_filters.ChoiceFilter(
        choices=[(k, k) for k in TIME_PRESETS], method="filter_since", label="Time range"
    )
    start = EventTimeFilter(field_name="created_at", lookup_expr="gte")
    end = EventTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(
        method="filter_q", max_length=MAX_SEARCH_LENGTH, label="Text in prompts and responses"
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
    status = StatusFilter(method="filter_status")
    status_class = StatusClassFilter(method="filter_class")
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
    provider_model = ProviderModelFilter(method="filter_provider_model", label="Provider__model")
    streaming = StrictBooleanFilter()
    metadata = MetadataFilter(method="filter_metadata")
    feedback_min = django_filters.NumberFilter(
        method="filter_feedback", label="Weighted feedback at least"
    )
    feedback_max = django_filters.NumberFilter(
        method="filter_feedback", label="Weighted feedback at most"
    )

    cost_min = django_filters.NumberFilter(
        field_name="cost_usd", lookup_expr="gte", label="Cost at least (USD)"
    )
    cost_max = django_filters.NumberFilter(
        field_name="cost_usd", lookup_expr="lte", label="Cost at most (USD)"
    )
    priced = django_filters.BooleanFilter(
        field_name="cost_usd", lookup_expr="isnull", exclude=True, label="Has a price"
    )

    class Meta:
        model = Log
        fields = []
        form = LogFilterForm

    def filter_since(self, qs, name, value):
        data = self.form.cleaned_data
        # An explicit From/To is what the person chose; a preset left in the form must not
        # narrow it to their overlap.
        if not value or data.get("start") or data.get("end"):
            return qs
        return qs.filter(created_at__gte=timezone.now() - TIME_PRESETS[value])

    def filter_q(self, qs, name, value):
        return filter_search(qs, value)

    def filter_status(self, qs, name, value):
        return qs.filter(status__in=value) if value else qs

    def filter_class(self, qs, name, value):
        if not value:
            return qs
        condition = Q()
        for cls in value:
            low = STATUS_CLASSES[cls]
            condition |= Q(status__gte=low, status__lt=low + 100)
        return qs.filter(condition)

    def filter_metadata(self, qs, name, value):
        return filter_metadata(qs, value)

    def filter_provider_model(self, qs, name, value):
        if not value:
            return qs
        condition = Q()
        for provider, model in value:
            condition |= Q(provider=provider, model=model)
        return qs.filter(condition)

    def filter_feedback(self, qs, name, value):
        low = self.form.cleaned_data.get("feedback_min")
        high = self.form.cleaned_data.get("feedback_max")
        # Both bounds go into one subquery, applied once, by whichever filter runs first.
        if value is None or (name == "feedback_max" and low is not None):
            return qs
        return filter_weighted_feedback(qs, low, high)


def weighted_feedback_scores(low=None, high=None):
    """(workspace_id, trace_id) of traces whose weighted feedback lies in [low, high]."""
    scores = (
        Feedback.objects.values("workspace_id", "trace_id")
        .annotate(
            score=Sum(F("value") * F("weight"), output_field=FloatField())
            / NullIf(Sum("weight"), 0.0, output_field=FloatField())
        )
        .filter(score__isnull=False)
    )
    if low is not None:
        scores = scores.filter(score__gte=low)
    if high is not None:
        scores = scores.filter(score__lte=high)
    return scores


def filter_weighted_feedback(qs, low=None, high=None):
    """Logs whose trace's weighted feedback, sum(value*weight)/sum(weight), is in range.

    The uncorrelated `trace_id IN (...)` lets PostgreSQL aggregate the feedback table once and
    join it to the trace index; the correlated EXISTS then keeps another workspace's feedback
    for the same trace id from matching.
    """
    scores = weighted_feedback_scores(low, high)
    same_trace = scores.filter(workspace_id=OuterRef("workspace_id"), trace_id=OuterRef("trace_id"))
    return qs.filter(trace_id__in=scores.values("trace_id")).filter(Exists(same_trace))


def filter_metadata(qs, pairs):
    """Logs whose metadata has every (key, value) pair, comparing the value's text form.

    PostgreSQL answers one `@>` containment from the GIN index on metadata_index; other
    databases compare each key's extracted text.
    """
    if not pairs:
        return qs
    if connection.vendor == "postgresql":
        wanted = {}
        for key, value in pairs:
            if wanted.get(key, value) != value:
                return qs.none()  # one key cannot hold two different values
            wanted[key] = value
        return qs.filter(metadata_index__contains=wanted)
    for number, (key, value) in enumerate(pairs):
        alias = f"_metadata_{number}"
        # Cast, or the exact lookup would compare JSON values instead of text.
        extracted = Cast(KeyTextTransform(key, "metadata_index"), TextField())
        qs = qs.alias(**{alias: extracted}).filter(**{alias: value})
    return qs


def page_feedback_scores(logs) -> dict:
    """{(workspace_id, trace_id): weighted score} for the traces of a page of logs, in one
    query on the feedback table's (workspace, trace_id) index."""
    traces = {log.trace_id for log in logs if log.trace_id}
    if not traces:
        return {}
    scores = weighted_feedback_scores().filter(
        workspace_id__in={log.workspace_id for log in logs}, trace_id__in=traces
    )
    return {(row["workspace_id"], row["trace_id"]): row["score"] for row in scores}
